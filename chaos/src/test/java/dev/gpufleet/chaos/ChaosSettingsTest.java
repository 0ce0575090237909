package dev.gpufleet.chaos;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChaosSettingsTest {

    @AfterEach
    void clear() {
        System.clearProperty("gpufleet.chaos.link-cut");
        System.clearProperty("gpufleet.chaos.kafka-pause");
        System.clearProperty("gpufleet.chaos.link-cut-past-grace");
    }

    @ParameterizedTest
    @CsvSource({"250ms, 250", "45s, 45000", "1.5s, 1500", "2m, 120000"})
    void readsDurations(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), ChaosSettings.parseDuration(text));
    }

    @Test
    void theDefaultsAreTheFiguresTheGuaranteesAreStatedFor() {
        ChaosSettings s = ChaosSettings.fromSystemProperties();
        assertEquals(Duration.ofSeconds(120), s.kafkaPause());
        assertEquals(Duration.ofSeconds(45), s.postgresPause());
        assertEquals(Duration.ofSeconds(60), s.postgresStop());
        assertEquals(Duration.ofSeconds(30), s.linkCut());
        assertEquals(Duration.ofSeconds(30), s.overload());
        assertEquals(10, s.overloadFactor());
        assertTrue(s.standInRate() * s.overloadFactor() > s.standInCapacityPerInstance() * s.standInReplicas(),
                "the overload exceeds what the stand-in backends serve");
    }

    @Test
    void aPropertyOverridesAndABadOneIsNamed() {
        System.setProperty("gpufleet.chaos.kafka-pause", "60s");
        assertEquals(Duration.ofSeconds(60), ChaosSettings.fromSystemProperties().kafkaPause());
        System.setProperty("gpufleet.chaos.kafka-pause", "soon");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ChaosSettings::fromSystemProperties);
        assertTrue(e.getMessage().startsWith("gpufleet.chaos.kafka-pause: cannot read 'soon'"), e.getMessage());
    }

    @Test
    void theShortLinkCutMustStayBelowTheGraceAndTheLongOneGoPastIt() {
        System.setProperty("gpufleet.chaos.link-cut", "40s");
        IllegalArgumentException below = assertThrows(IllegalArgumentException.class,
                ChaosSettings::fromSystemProperties);
        assertTrue(below.getMessage().startsWith("gpufleet.chaos.link-cut (PT40S) must stay below"),
                below.getMessage());
        System.clearProperty("gpufleet.chaos.link-cut");
        System.setProperty("gpufleet.chaos.link-cut-past-grace", "41s");
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
                ChaosSettings::fromSystemProperties);
        assertTrue(past.getMessage().startsWith("gpufleet.chaos.link-cut-past-grace (PT41S) must exceed"),
                past.getMessage());
    }
}
