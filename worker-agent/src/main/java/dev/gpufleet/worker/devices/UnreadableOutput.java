package dev.gpufleet.worker.devices;

/** A tool printed something its parser cannot take; the message says what and where, for the state message. */
public final class UnreadableOutput extends Exception {
    public UnreadableOutput(String message) {
        super(message);
    }
}
