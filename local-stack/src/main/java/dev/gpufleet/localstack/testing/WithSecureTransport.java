package dev.gpufleet.localstack.testing;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a {@code @QuarkusTest} class against Kafka over SASL_SSL (SCRAM-SHA-512) and PostgreSQL over TLS
 * ({@link SecureTransportTestResource}), for that class alone: the app restarts for it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@WithTestResource(value = SecureTransportTestResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
public @interface WithSecureTransport {
}
