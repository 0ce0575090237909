package dev.gpufleet.llamacpp.engine;

/** llama.cpp refused or failed a request; the message is llama.cpp's own where there is one. */
public final class EngineException extends Exception {
    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
