package dev.gpufleet.worker;

/**
 * A file in the agent's data dir (or the dir itself) cannot be used. The message names the file and says what to
 * do; it deliberately carries no cause, so a failed start shows one readable line instead of a parser's stack.
 */
public class StateFileException extends RuntimeException {
    public StateFileException(String message) {
        super(message, null, false, false);
    }
}
