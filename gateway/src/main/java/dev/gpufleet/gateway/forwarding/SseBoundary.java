package dev.gpufleet.gateway.forwarding;

import io.vertx.core.buffer.Buffer;

/**
 * Where a relayed SSE stream stands between two events, told from its last four bytes (packed in an int, the last
 * byte lowest): a stream the backend broke off gets its error event after the event it was in, never inside it.
 */
final class SseBoundary {
    /** The last bytes before anything was relayed: a stream that has sent nothing yet is between events. */
    static final int NOTHING_RELAYED = 0x0A0A;

    private SseBoundary() {
    }

    /** The last four bytes once {@code piece} has gone after {@code lastBytes}. */
    static int after(int lastBytes, Buffer piece) {
        for (int i = Math.max(0, piece.length() - 4); i < piece.length(); i++) {
            lastBytes = (lastBytes << 8) | (piece.getByte(i) & 0xff);
        }
        return lastBytes;
    }

    /** Whether the stream ends with an event's blank line, LF LF or CR LF CR LF. */
    static boolean atEventBoundary(int lastBytes) {
        return (lastBytes & 0xFFFF) == 0x0A0A || lastBytes == 0x0D0A0D0A;
    }

    /** An event carrying {@code data}, to write after the stream's last bytes: the event they were in ended first. */
    static String event(int lastBytes, String data) {
        return (atEventBoundary(lastBytes) ? "" : "\n\n") + "data: " + data + "\n\n";
    }
}
