package dev.gpufleet.llamacpp.engine;

/** One message of a conversation, its content already flattened to text. */
public record ChatMessage(String role, String content) {
}
