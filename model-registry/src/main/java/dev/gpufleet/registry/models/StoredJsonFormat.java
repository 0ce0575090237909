package dev.gpufleet.registry.models;

import dev.gpufleet.events.EventCodec;
import io.quarkus.hibernate.orm.JsonFormat;
import io.quarkus.hibernate.orm.PersistenceUnitExtension;
import org.hibernate.type.descriptor.WrapperOptions;
import org.hibernate.type.descriptor.java.JavaType;
import org.hibernate.type.format.FormatMapper;
import org.hibernate.type.format.jackson.JacksonJsonFormatMapper;

/**
 * The JSON columns hold a spec and an analysis exactly as the events carry them (the contract's camelCase JSON,
 * unknown fields ignored so that additive contract changes read old rows), not as the snake_case admin API
 * shows them.
 */
@JsonFormat
@PersistenceUnitExtension
public class StoredJsonFormat implements FormatMapper {
    private final FormatMapper delegate = new JacksonJsonFormatMapper(EventCodec.mapper());

    @Override
    public <T> T fromString(CharSequence json, JavaType<T> javaType, WrapperOptions options) {
        return delegate.fromString(json, javaType, options);
    }

    @Override
    public <T> String toString(T value, JavaType<T> javaType, WrapperOptions options) {
        return delegate.toString(value, javaType, options);
    }
}
