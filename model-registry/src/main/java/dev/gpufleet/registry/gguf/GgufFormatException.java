package dev.gpufleet.registry.gguf;

/** The bytes are not a GGUF header this parser accepts; the message names the offset and what was expected. */
public class GgufFormatException extends Exception {
    public GgufFormatException(String message) {
        super(message);
    }
}
