package dev.gpufleet.scheduler.persistence;

import dev.gpufleet.events.EventCodec;
import io.quarkus.hibernate.orm.JsonFormat;
import io.quarkus.hibernate.orm.PersistenceUnitExtension;
import org.hibernate.type.descriptor.WrapperOptions;
import org.hibernate.type.descriptor.java.JavaType;
import org.hibernate.type.format.FormatMapper;
import org.hibernate.type.format.jackson.JacksonJsonFormatMapper;

/**
 * JSON columns (model specs, worker labels and GPUs) hold event-contract records, so they are written exactly as
 * the events write them, independent of the REST layer's JSON settings.
 */
@JsonFormat
@PersistenceUnitExtension
public class EventJsonFormatMapper implements FormatMapper {
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
