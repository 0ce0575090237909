package dev.gpufleet.worker.download;

/**
 * One file of a hub repository as its listing describes it.
 *
 * @param path   the path inside the repository, {@code /}-separated
 * @param size   bytes; -1 when the listing does not say
 * @param sha256 lower-case hex, or null when the hub gives none (small non-LFS files on Hugging Face)
 */
public record RemoteFile(String path, long size, String sha256) {

    public String name() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }

    public String directory() {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash + 1);
    }
}
