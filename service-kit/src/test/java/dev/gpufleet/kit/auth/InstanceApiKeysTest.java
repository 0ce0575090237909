package dev.gpufleet.kit.auth;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InstanceApiKeysTest {

    @Test
    void theKeyIsTheHmacOfTheInstanceIdUnderTheClusterToken() {
        // computed independently: printf 'gpufleet instance api key v1:i-1' | openssl dgst -sha256 -hmac token-a
        assertEquals("gpf-" + OPENSSL_VECTOR, InstanceApiKeys.forInstance("token-a", "i-1"));
    }

    @Test
    void keysDifferByInstanceAndByToken() {
        String key = InstanceApiKeys.forInstance("token-a", "i-1");
        assertNotEquals(key, InstanceApiKeys.forInstance("token-a", "i-2"));
        assertNotEquals(key, InstanceApiKeys.forInstance("token-b", "i-1"));
        assertEquals(key, InstanceApiKeys.forInstance("token-a", "i-1"));
    }

    @Test
    void noTokenNoKey() {
        assertThrows(IllegalArgumentException.class, () -> InstanceApiKeys.forInstance("", "i-1"));
    }

    static final String OPENSSL_VECTOR = "59679a1000872bec908503feb69edeb39f49a37d35b81571446b03bbaf8a8a98";
}
