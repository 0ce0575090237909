package dev.gpufleet.gateway.auth;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AuthFilterPathsTest {
    @Test
    void whichPathsArePublicOpenAiOrAdmin() {
        // path -> public, OpenAI error shape, needs admin
        Map<String, boolean[]> cases = Map.ofEntries(
                Map.entry("/q/health", new boolean[]{true, false, true}),
                Map.entry("/q/health/ready", new boolean[]{true, false, true}),
                Map.entry("/q/healthz", new boolean[]{false, false, true}),
                Map.entry("/q/metrics", new boolean[]{false, false, true}),
                Map.entry("/q/openapi", new boolean[]{false, false, true}),
                Map.entry("/v1", new boolean[]{false, true, false}),
                Map.entry("/v1/models", new boolean[]{false, true, false}),
                Map.entry("/v1/chat/completions", new boolean[]{false, true, false}),
                Map.entry("/v10/models", new boolean[]{false, false, true}),
                Map.entry("/api/v1/users", new boolean[]{false, false, true}),
                Map.entry("/api/v1/models", new boolean[]{false, false, true}),
                Map.entry("/api/v1/instances/i-1/logs", new boolean[]{false, false, true}),
                Map.entry("/api/v1/api-keys", new boolean[]{false, false, false}),
                Map.entry("/api/v1/api-keys/abc/revoke", new boolean[]{false, false, false}),
                Map.entry("/api/v1/api-keysx", new boolean[]{false, false, true}),
                Map.entry("/api/v1/me", new boolean[]{false, false, false}),
                Map.entry("/api/v1/usage", new boolean[]{false, false, false}),
                Map.entry("/api/v1/usagex", new boolean[]{false, false, true}),
                // the web console: its page and assets hold no data; everything else stays behind a key
                Map.entry("/", new boolean[]{true, false, true}),
                Map.entry("/console/0a1b2c3d4e5f/app.js", new boolean[]{true, false, true}),
                Map.entry("/console/", new boolean[]{true, false, true}),
                Map.entry("/console", new boolean[]{false, false, true}),
                Map.entry("/consolex/app.js", new boolean[]{false, false, true}),
                Map.entry("/index.html", new boolean[]{false, false, true}),
                Map.entry("/api/v1/console", new boolean[]{false, false, true}),
                Map.entry("/q/dev-ui", new boolean[]{false, false, true}));
        cases.forEach((path, expected) -> {
            assertEquals(expected[0], AuthFilter.isPublic(path), path + " public");
            assertEquals(expected[1], AuthFilter.isOpenAi(path), path + " OpenAI");
            assertEquals(expected[2], AuthFilter.needsAdmin(path), path + " admin");
        });
    }
}
