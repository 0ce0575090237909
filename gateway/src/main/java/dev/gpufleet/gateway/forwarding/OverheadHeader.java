package dev.gpufleet.gateway.forwarding;

import io.vertx.core.http.HttpHeaders;

/** The answer header that tells the client the gateway's overhead on its request. */
final class OverheadHeader {
    /** Time spent in the gateway from the whole request body to the request leaving for the backend. */
    static final String NAME = "x-gpufleet-overhead-ms";
    static final CharSequence OPTIMIZED_NAME = HttpHeaders.createOptimized(NAME);

    private OverheadHeader() {
    }

    /** Nanoseconds as milliseconds with three decimals ("0.042"), as String.format would, without its cost. */
    static String millisText(long nanos) {
        long micros = (Math.max(0, nanos) + 500) / 1000;
        long fraction = micros % 1000;
        return (micros / 1000) + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
    }
}
