package dev.gpufleet.chaos.load;

/**
 * One client request as the client saw it.
 *
 * @param startMillis  when it was sent (epoch ms)
 * @param latencyMillis until the whole answer arrived, or until it failed
 * @param gateway      index of the gateway that gave the final answer (-1: none was in rotation)
 * @param status       HTTP status, or {@link #NO_ANSWER} when none came (refused, reset, timed out), or
 *                     {@link #NOT_SENT} when no gateway was in rotation or the client had too many outstanding
 * @param servedBy     {@code host:port} of the backend that answered, where the answer says (the stand-in does)
 * @param retryAfter   whether the answer had a {@code Retry-After} header
 * @param retried      whether it was sent a second time, to the other gateway
 */
public record RequestRecord(long startMillis, long latencyMillis, String model, String key, int gateway, int status,
                            String error, String servedBy, boolean retryAfter, boolean retried) {
    public static final int NO_ANSWER = -1;
    public static final int NOT_SENT = -2;

    public boolean ok() {
        return status == 200;
    }

    public String outcome() {
        return switch (status) {
            case NO_ANSWER -> "no answer (" + error + ")";
            case NOT_SENT -> "not sent (" + error + ")";
            default -> Integer.toString(status);
        };
    }
}
