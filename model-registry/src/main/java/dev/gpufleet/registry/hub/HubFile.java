package dev.gpufleet.registry.hub;

/** One file of a hub repository: its path inside the repository and its size in bytes. */
public record HubFile(String path, long size) {
    /** The file name without its folders. */
    public String name() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
