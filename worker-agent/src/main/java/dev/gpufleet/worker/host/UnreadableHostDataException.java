package dev.gpufleet.worker.host;

/** Host data (e.g. /proc/meminfo) that does not have the expected shape; the message says what is wrong. */
public class UnreadableHostDataException extends Exception {
    public UnreadableHostDataException(String message) {
        super(message);
    }
}
