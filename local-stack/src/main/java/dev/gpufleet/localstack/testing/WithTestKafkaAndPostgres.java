package dev.gpufleet.localstack.testing;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a {@code @QuarkusTest} against the test broker and a test database ({@link KafkaTestResource},
 * {@link PostgresTestResource}), started side by side. GLOBAL scope: one of each per test JVM, shared by every test
 * class that carries this annotation, so the app is not restarted between them. Put it on every
 * {@code @QuarkusTest} class of a module: Quarkus reads test resources declared through an annotation like this one
 * only on the classes that carry it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
public @interface WithTestKafkaAndPostgres {
}
