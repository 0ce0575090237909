package dev.gpufleet.gateway.forwarding;

/** A Content-Length header's value, of a client's request or of a backend's answer. */
final class ContentLength {
    private ContentLength() {
    }

    /** The declared length; -1 when it is not a number (Vert.x rejects a malformed length itself). */
    static long declared(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
