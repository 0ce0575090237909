package dev.gpufleet.localstack.testing;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a {@code @QuarkusTest} against the test broker ({@link KafkaTestResource}). GLOBAL scope: one broker per test
 * JVM, shared by every test class that carries this annotation, so the app is not restarted between them. Put it on
 * every {@code @QuarkusTest} class of a module: Quarkus reads a test resource declared through an annotation like
 * this one only on the classes that carry it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
public @interface WithTestKafka {
}
