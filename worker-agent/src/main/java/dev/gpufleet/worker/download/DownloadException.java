package dev.gpufleet.worker.download;

/** A download that cannot succeed by retrying (not found, no access, wrong checksum, no disk); the message is for operators. */
public final class DownloadException extends Exception {
    public DownloadException(String message) {
        super(message);
    }
}
