package dev.gpufleet.registry.models;

/** One thing wrong with a request: the field's JSON path and what is wrong, e.g. {@code replicas: must be ...}. */
public record FieldError(String field, String problem) {
    @Override
    public String toString() {
        return field + ": " + problem;
    }
}
