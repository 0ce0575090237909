package dev.gpufleet.llamacpp.gguf;

/** The model file cannot be served; the message says why in a few words. */
public final class ModelFileException extends Exception {
    public ModelFileException(String message) {
        super(message);
    }
}
