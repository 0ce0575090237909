package dev.gpufleet.events;

/**
 * The disk a worker keeps downloaded models on, as its heartbeat reports it.
 *
 * @param path       the models directory
 * @param usedBytes  bytes the model file sets under it take
 * @param freeBytes  bytes still usable on its file system
 * @param totalBytes the file system's size
 */
public record ModelDirectory(String path, long usedBytes, long freeBytes, long totalBytes) {
}
