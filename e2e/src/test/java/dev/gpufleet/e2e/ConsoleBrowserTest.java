package dev.gpufleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.localstack.launcher.LocalStack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.gpufleet.e2e.EmbeddedDefaultTest.startQuietly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console in a real browser (Debian's Chromium) against the whole stack, one stack and one browser for every
 * step: an admin signs in, sees the demo model RUNNING on the dashboard, deploys a second model after its evaluation
 * preview, follows the demo instance's log, chats with the demo model and sees the answer stream in, creates a user
 * and keys, revokes one, reads usage, cordons a worker; then, at phone width, that user signs in and sees only the
 * playground, its own keys and its own usage, and every admin page fits 390 px. Screenshots go to
 * {@code target/console-screenshots}; with {@code -Dgpufleet.docs.write=true} the ones docs/console.md shows are
 * copied to {@code docs/console/}.
 */
class ConsoleBrowserTest {
    static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(120);
    /** The console's first load (page, styles, scripts, the first API answers), as the browser transferred it. */
    static final long FIRST_LOAD_BUDGET_BYTES = 300 * 1024;
    static final Path ROOT = Path.of(System.getProperty("gpufleet.root", ".."));
    static final Path SCREENSHOTS = ROOT.resolve("e2e/target/console-screenshots");
    static final Path DOC_IMAGES = ROOT.resolve("docs/console");

    @TempDir
    Path dataDir;

    @Test
    void anOperatorAndAUserDoTheirWorkInTheConsole() throws Exception {
        Path demoFile = dataDir.resolve("demo.gguf");
        Path secondFile = dataDir.resolve("tiny-chat.gguf");
        // the demo preset has a real vocabulary: its answers are random words, as in ./gpufleet up
        DemoModel.write(Preset.DEMO, DemoModel.DEFAULT_SEED, demoFile);
        DemoModel.write(Preset.TINY, 8, secondFile);
        LocalStack.Options options = EmbeddedDefaultTest.options(dataDir.resolve("stack"), Map.of(
                // two simulated GPUs (llamacpp-server ignores -ngl and runs on the CPU): the dashboard has GPU bars
                "GPUFLEET_WORKER_SIMULATED_DEVICES",
                "nvidia:NVIDIA GeForce RTX 4090:24GiB:used=3GiB;nvidia:NVIDIA GeForce RTX 4090:24GiB",
                "GPUFLEET_WORKER_HEARTBEAT_INTERVAL", "1s"));

        try (LocalStack stack = startQuietly(options);
             Browser browser = new Browser(dataDir.resolve("chromium-profile"), SCREENSHOTS)) {
            String token = stack.clusterToken();
            String gateway = stack.gatewayUrl();
            String adminKey = Files.readString(stack.adminKeyFile()).trim();
            String demoId = Http.json(Http.send("POST", gateway + "/api/v1/models", token,
                    "{\"name\": \"demo\", \"source\": {\"type\": \"local_path\", \"path\": \"" + demoFile
                            + "\"}, \"backend_parameters\": [\"--ctx-size=512\"]}"), 201).get("id").asText();

            // sign-in: a wrong key is refused with the server's message; the admin's key opens the dashboard
            browser.size(1280, 860);
            browser.open(gateway + "/");
            browser.type("#signin-key", "gpf_wrong_key");
            browser.click("#signin-button");
            browser.until(() -> browser.text("form").contains("That key was refused"), "the refusal");
            browser.screenshot("signin");
            browser.type("#signin-key", adminKey);
            browser.click("#signin-button");
            browser.until(() -> browser.driver.getCurrentUrl().endsWith("#/dashboard"), "the dashboard");
            assertEquals("admin", browser.text("#who-name"));
            assertEquals(List.of("Dashboard", "Models", "Workers", "Playground", "API keys", "Users", "Usage"),
                    navigation(browser));

            // the demo model RUNNING on the dashboard, which refreshes itself (no reload)
            browser.until(() -> browser.text("#stat-instances-running").startsWith("1 / 1"),
                    "the demo model's instance RUNNING on the dashboard", RUNNING_TIMEOUT);
            browser.find("#instance-states [data-state=RUNNING]");
            assertEquals(2, browser.all("#gpus [data-gpu]").size(), browser.text("#gpus"));
            assertTrue(browser.text("#gpus").contains("claimed by gpufleet"), browser.text("#gpus"));
            long firstLoad = firstLoadBytes(browser);
            System.out.printf("### console first load: %,d bytes transferred%n", firstLoad);
            assertTrue(firstLoad > 10_000 && firstLoad < FIRST_LOAD_BUDGET_BYTES, "first load " + firstLoad);
            browser.screenshot("dashboard");

            // deploy a second model after its evaluation preview
            browser.go("#/models");
            browser.click("#deploy-open");
            new Select(browser.find("#deploy-source")).selectByValue("local_path");
            browser.type("#deploy-path", secondFile.toString());
            browser.type("#deploy-name", "tiny-chat");
            browser.type("#deploy-parameters", "--ctx-size=512");
            browser.until(() -> !browser.all("#evaluation [data-compatible=true]").isEmpty(),
                    "an evaluation that fits");
            String worker = browser.text("#evaluation-worker");
            assertTrue(!worker.isBlank(), "the preview names the worker");
            assertTrue(browser.text("#evaluation").contains("needs"), browser.text("#evaluation"));
            browser.screenshot("deploy");
            browser.click("#deploy-submit");
            browser.until(() -> browser.driver.getCurrentUrl().contains("#/models/"), "the new model's page");
            browser.until(() -> browser.text("#model-header").contains("1/1 running"),
                    "the second model RUNNING", RUNNING_TIMEOUT);
            browser.go("#/models");
            browser.until(() -> browser.all("#model-list [data-model]").size() == 2, "two models listed");
            browser.until(() -> browser.text("#model-list").split("1/1 running", -1).length == 3,
                    "both models running");
            browser.screenshot("models");

            // the demo instance's log, following: a request made now shows up in it without a reload
            browser.click("#model-list [data-model=demo]");
            browser.until(() -> browser.text("#instance-log").contains("listening on"), "the log's tail");
            int before = count(browser.text("#instance-log"), "POST /v1/completions");
            Http.json(Http.send("POST", gateway + "/v1/completions", token,
                    "{\"model\": \"demo\", \"prompt\": \"follow me\", \"max_tokens\": 4}"), 200);
            browser.until(() -> count(browser.text("#instance-log"), "POST /v1/completions") > before,
                    "the new request in the followed log");
            assertTrue(browser.text("#placement").contains(worker), browser.text("#placement"));
            browser.screenshot("model");

            // the playground: the answer streams in (the text grows chunk by chunk), with tokens and latency
            browser.go("#/playground");
            browser.until(() -> browser.all("#play-model option[value=demo]").size() == 1, "the model list");
            new Select(browser.find("#play-model")).selectByValue("demo");
            browser.type("#chat-max-tokens", "48");
            browser.type("#chat-seed", "7");
            // every change the page makes to the transcript, however the browser batches their notification
            browser.js("window.textUpdates = 0; new MutationObserver(records => window.textUpdates += records.length)"
                    + ".observe(document.getElementById('chat-transcript'), "
                    + "{subtree: true, childList: true, characterData: true})");
            browser.type("#chat-input", "Hello, gpu fleet!");
            browser.click("#chat-send");
            browser.until(() -> browser.text("#chat-stats").contains("completion tokens"), "the answer's stats");
            String stats = browser.text("#chat-stats");
            assertTrue(stats.contains("first token") && stats.contains("tokens/s"), stats);
            List<WebElement> answers = browser.all("#chat-transcript .msg.assistant .text");
            assertTrue(!answers.get(answers.size() - 1).getText().isBlank(), "an answer");
            Matcher completion = Pattern.compile("(\\d+) completion tokens").matcher(stats);
            assertTrue(completion.find() && Integer.parseInt(completion.group(1)) > 1, stats);
            // the placeholder removed and two bubbles appended, then the answer's text written once per chunk
            long updates = ((Number) browser.js("return window.textUpdates")).longValue();
            assertTrue(updates >= 5, "the answer was written in " + (updates - 3) + " steps: streamed, not at once");
            browser.screenshot("playground");

            // a user, and keys: one shown once and then revoked, one for the user
            browser.go("#/users");
            browser.type("#user-name", "alice");
            browser.click("#user-create");
            browser.find("#user-list [data-user=alice]");
            browser.screenshot("users");
            browser.go("#/keys");
            browser.type("#key-name", "ci-key");
            browser.type("#key-rpm", "600");
            browser.click("#key-create");
            String shownOnce = browser.text("#key-secret");
            assertTrue(shownOnce.startsWith("gpf_"), shownOnce);
            assertEquals(200, Http.get(gateway + "/v1/models", shownOnce).statusCode());
            browser.find("#key-list [data-key=ci-key]");
            browser.screenshot("keys");
            browser.clickAndConfirm("#key-list [data-revoke=ci-key]");
            browser.until(() -> row(browser, "#key-list", "ci-key").contains("revoked"), "the key revoked");
            assertEquals(401, Http.get(gateway + "/v1/models", shownOnce).statusCode());
            new Select(browser.find("#key-user")).selectByVisibleText("alice");
            browser.type("#key-name", "alice-laptop");
            browser.click("#key-create");
            browser.until(() -> browser.text("#key-created").contains("alice-laptop"), "alice's key");
            String aliceKey = browser.text("#key-secret");

            // usage: the playground's chat is counted under the admin's key
            browser.go("#/usage");
            browser.until(() -> browser.text("#usage-table").contains("demo"), "usage of the demo model");
            assertTrue(browser.text("#usage-by-model").contains("demo"), browser.text("#usage-by-model"));
            browser.screenshot("usage");

            // workers: cordon, then uncordon
            browser.go("#/workers");
            browser.click("[data-action=cordon]");
            browser.until(() -> browser.text("[data-worker]").contains("cordoned"), "the worker cordoned");
            JsonNode cordoned = Http.items(Http.get(gateway + "/api/v1/workers", token)).get(0);
            assertTrue(cordoned.get("cordoned").asBoolean(), cordoned.toString());
            browser.screenshot("workers");
            browser.click("[data-action=uncordon]");
            browser.until(() -> !browser.text("[data-worker]").contains("cordoned"), "the worker uncordoned");
            assertEquals(List.of(), browser.scriptErrors(), "script errors at 1280 px");

            // 390 px: every admin page fits the width
            browser.size(390, 844);
            for (String page : List.of("dashboard", "models", "models/" + demoId, "workers", "playground", "keys",
                    "users", "usage")) {
                browser.go("#/" + page);
                browser.until(() -> browser.driver.findElement(By.id("page"))
                        .getAttribute("data-page").equals(page.split("/")[0]) && browser.text("#page").length() > 40,
                        "page " + page);
                assertFitsTheWidth(browser, page);
                if (page.equals("dashboard")) {
                    browser.until(() -> browser.text("#stat-instances-running").startsWith("2 / 2"), "both running");
                    browser.screenshot("dashboard-390");
                }
            }

            // the user alice, at 390 px: the playground, her keys and her usage only
            browser.click("#signout");
            browser.type("#signin-key", aliceKey);
            browser.click("#signin-button");
            browser.until(() -> browser.driver.getCurrentUrl().endsWith("#/playground"), "alice's playground");
            assertEquals(List.of("Playground", "API keys", "Usage"), navigation(browser));
            browser.until(() -> browser.all("#play-model option[value=demo]").size() == 1, "the model list");
            new Select(browser.find("#play-model")).selectByValue("demo");
            browser.type("#chat-max-tokens", "16");
            browser.type("#chat-input", "Hi from a phone");
            browser.click("#chat-send");
            browser.until(() -> browser.text("#chat-stats").contains("completion tokens"), "alice's answer");
            assertFitsTheWidth(browser, "playground (alice)");
            browser.screenshot("playground-390");
            browser.go("#/keys");
            browser.until(() -> browser.all("#key-list [data-key]").size() == 1, "alice's one key");
            browser.find("#key-list [data-key=alice-laptop]");
            assertFitsTheWidth(browser, "keys (alice)");
            browser.go("#/usage");
            browser.until(() -> browser.text("#usage-table").contains("alice-laptop"), "alice's usage");
            assertTrue(!browser.text("#usage-table").contains("cluster token")
                    && !browser.text("#usage-table").contains("admin"), browser.text("#usage-table"));
            browser.go("#/dashboard");
            browser.find("#forbidden");
            browser.go("#/users");
            browser.find("#forbidden");
            assertEquals(List.of(), browser.scriptErrors(), "script errors at 390 px");
        }
        copyDocImages();
    }

    private static List<String> navigation(Browser browser) {
        List<String> titles = new ArrayList<>();
        browser.all("#nav a").forEach(a -> titles.add(a.getText()));
        return titles;
    }

    /** The text of the table row holding {@code [data-key=name]}. */
    private static String row(Browser browser, String table, String key) {
        return (String) browser.js("const cell = document.querySelector(arguments[0] + ' [data-key=\"' + arguments[1]"
                + " + '\"]'); return cell ? cell.closest('tr').innerText : ''", table, key);
    }

    private static void assertFitsTheWidth(Browser browser, String page) {
        long scroll = ((Number) browser.js("return document.documentElement.scrollWidth")).longValue();
        long inner = ((Number) browser.js("return window.innerWidth")).longValue();
        assertTrue(scroll <= inner, page + " is " + scroll + " px wide in a " + inner + " px window");
    }

    /** Everything the browser transferred since the page was opened: the page, its files, the API answers. */
    private static long firstLoadBytes(Browser browser) {
        return ((Number) browser.js("const n = performance.getEntriesByType('navigation')[0];"
                + "return n.transferSize + performance.getEntriesByType('resource')"
                + ".reduce((sum, r) => sum + r.transferSize, 0)")).longValue();
    }

    private static int count(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

    /** With -Dgpufleet.docs.write=true: the screenshots docs/console.md shows, into docs/console/. */
    private static void copyDocImages() throws IOException {
        Set<String> shown = new TreeSet<>();
        Matcher images = Pattern.compile("\\(console/([a-z0-9-]+\\.png)\\)")
                .matcher(Files.readString(ROOT.resolve("docs/console.md")));
        while (images.find()) {
            shown.add(images.group(1));
        }
        for (String image : shown) {
            assertTrue(Files.isRegularFile(SCREENSHOTS.resolve(image)), "docs/console.md shows " + image
                    + ", which this test does not take");
        }
        if (Boolean.getBoolean("gpufleet.docs.write")) {
            Files.createDirectories(DOC_IMAGES);
            for (String image : shown) {
                Files.copy(SCREENSHOTS.resolve(image), DOC_IMAGES.resolve(image), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
