package dev.gpufleet.events;

/**
 * Where a model's files come from. Which fields are used depends on {@code type}:
 * {@code huggingface} (repoId, fileName, revision), {@code modelscope} (modelId, filePath, revision),
 * {@code local_path} (path).
 */
public record ModelSource(String type, String repoId, String fileName, String revision,
                          String modelId, String filePath, String path) {

    public static final String HUGGINGFACE = "huggingface";
    public static final String MODELSCOPE = "modelscope";
    public static final String LOCAL_PATH = "local_path";

    public static ModelSource localPath(String path) {
        return new ModelSource(LOCAL_PATH, null, null, null, null, null, path);
    }
}
