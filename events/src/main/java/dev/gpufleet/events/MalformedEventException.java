package dev.gpufleet.events;

/** A message that is not a valid gpufleet event; the message says what is wrong with it. */
public class MalformedEventException extends Exception {
    public MalformedEventException(String message) {
        super(message);
    }

    public MalformedEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
