package dev.gpufleet.kit.persistence;

import dev.gpufleet.events.EventCodec;
import io.quarkus.hibernate.orm.JsonFormat;
import io.quarkus.hibernate.orm.PersistenceUnitExtension;
import org.hibernate.type.descriptor.WrapperOptions;
import org.hibernate.type.descriptor.java.JavaType;
import org.hibernate.type.format.FormatMapper;
import org.hibernate.type.format.jackson.JacksonJsonFormatMapper;

/**
 * The format of every JSON column (model specs and analyses, worker labels and GPUs): they hold event-contract
 * records, so they are written exactly as the events write them (the contract's camelCase JSON, unknown fields
 * ignored so that additive contract changes read old rows), independent of the REST layer's snake_case JSON.
 */
@JsonFormat
@PersistenceUnitExtension
public class EventJsonFormat implements FormatMapper {
    private final FormatMapper delegate = new JacksonJsonFormatMapper(EventCodec.mapper());

    @Override
    public <T> T fromString(CharSequence json, JavaType<T> type, WrapperOptions options) {
        return delegate.fromString(json, type, options);
    }

    @Override
    public <T> String toString(T value, JavaType<T> type, WrapperOptions options) {
        return delegate.toString(value, type, options);
    }
}
