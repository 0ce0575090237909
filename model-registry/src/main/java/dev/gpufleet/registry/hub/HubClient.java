package dev.gpufleet.registry.hub;

import dev.gpufleet.registry.analysis.ByteSource;

import java.util.List;

/**
 * One model hub (Hugging Face, ModelScope) as the registry needs it: a repository's files with sizes, and random
 * access to one file through HTTP Range requests. Blocking; run off the event loop.
 */
public interface HubClient {
    /** Every file of {@code repoId} at {@code revision} (null or blank: the hub's default branch), with sizes. */
    List<HubFile> listFiles(String repoId, String revision) throws HubException;

    /** Reads {@code file} of {@code repoId} with Range requests; nothing is fetched until a read. */
    ByteSource open(String repoId, String revision, HubFile file);

    /** The hub's name and endpoint, for messages. */
    String describe();
}
