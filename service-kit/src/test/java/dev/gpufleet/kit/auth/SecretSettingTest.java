package dev.gpufleet.kit.auth;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every secret setting: present, not a placeholder, at least 32 bytes; the reason names the setting in one line. */
class SecretSettingTest {
    private static final String HINT = " (for example: openssl rand -base64 32)";

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            "NULL | gpufleet.metrics-token (GPUFLEET_METRICS_TOKEN) is required: set a random secret of at least 32 bytes",
            "'   ' | gpufleet.metrics-token (GPUFLEET_METRICS_TOKEN) is required: set a random secret of at least 32 bytes",
            "CHANGE-ME | gpufleet.metrics-token (GPUFLEET_METRICS_TOKEN) is still the placeholder 'CHANGE-ME…': set a random secret of at least 32 bytes",
            "change-me-to-a-long-random-value-of-many-bytes | gpufleet.metrics-token (GPUFLEET_METRICS_TOKEN) is still the placeholder 'CHANGE-ME…': set a random secret of at least 32 bytes",
            "' CHANGE-ME-0123456789abcdef0123456789abcdef' | gpufleet.metrics-token (GPUFLEET_METRICS_TOKEN) is still the placeholder 'CHANGE-ME…': set a random secret of at least 32 bytes",
            "short | gpufleet.metrics-token (GPUFLEET_METRICS_TOKEN) is 5 bytes long; it must be at least 32 bytes",
            "0123456789abcdef0123456789abcde | gpufleet.metrics-token (GPUFLEET_METRICS_TOKEN) is 31 bytes long; it must be at least 32 bytes",
            // 16 characters, 32 bytes in UTF-8: bytes count, not characters
            "éééééééééééééééé | ''",
            "0123456789abcdef0123456789abcdef | ''",
            "a-secret-that-mentions-change-me-later-on | ''",
    })
    void judgesEachValue(String value, String expected) {
        Optional<String> problem = SecretSetting.problem("gpufleet.metrics-token", "GPUFLEET_METRICS_TOKEN", value);
        assertEquals(expected.isEmpty() ? Optional.empty() : Optional.of(expected + HINT), problem);
    }
}
