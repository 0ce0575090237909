package dev.gpufleet.e2e;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver: nothing is downloaded. One browser for a whole
 * test, with a fresh profile (so the first load really is a first load).
 */
final class Browser implements AutoCloseable {
    static final String CHROMIUM = System.getProperty("gpufleet.chromium", "/usr/bin/chromium");
    static final String CHROMEDRIVER = System.getProperty("gpufleet.chromedriver", "/usr/bin/chromedriver");
    static final Duration WAIT = Duration.ofSeconds(30);
    /** Selenium looks for DevTools classes matching the browser's version and warns when it has none; none are used. */
    private static final java.util.logging.Logger DEVTOOLS_LOG =
            java.util.logging.Logger.getLogger("org.openqa.selenium.devtools");

    static {
        DEVTOOLS_LOG.setLevel(Level.SEVERE);
    }

    final ChromeDriver driver;
    private final Path screenshots;
    private final List<String> scriptErrors = new ArrayList<>();

    Browser(Path profile, Path screenshots) {
        for (String file : List.of(CHROMIUM, CHROMEDRIVER)) {
            assertTrue(Files.isExecutable(Path.of(file)), file + " is missing: the console's browser test needs "
                    + "Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver; .ci/run "
                    + "installs them)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        // as root in a container: no sandbox; no GPU, no first-run or background traffic, a profile of our own
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--window-size=1280,860", "--user-data-dir=" + profile.toAbsolutePath());
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.SEVERE);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        this.driver = new ChromeDriver(service, options);
        this.screenshots = screenshots;
    }

    /** The viewport's CSS size; screenshots are of the viewport. */
    void size(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
        // the window's frame (none when headless, but be sure): make the inner width what was asked for
        long inner = ((Number) js("return window.innerWidth")).longValue();
        if (inner != width) {
            driver.manage().window().setSize(new Dimension(width + (int) (width - inner), height));
        }
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    void open(String url) {
        driver.get(url);
    }

    void go(String hash) {
        js("location.hash = arguments[0]", hash);
    }

    WebElement find(String css) {
        return until(() -> driver.findElements(By.cssSelector(css)).stream().filter(WebElement::isDisplayed)
                .findFirst().orElse(null), "an element " + css);
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    String text(String css) {
        return find(css).getText();
    }

    void type(String css, String text) {
        WebElement input = find(css);
        input.clear();
        input.sendKeys(text);
    }

    void click(String css) {
        find(css).click();
    }

    /** Clicks, then accepts the confirm() that the click opens. */
    void clickAndConfirm(String css) {
        click(css);
        new WebDriverWait(driver, WAIT).until(d -> {
            try {
                d.switchTo().alert().accept();
                return true;
            } catch (org.openqa.selenium.NoAlertPresentException e) {
                return false;
            }
        });
    }

    /** Waits until {@code condition} gives something other than null or false. */
    <T> T until(Supplier<T> condition, String what) {
        return until(condition, what, WAIT);
    }

    <T> T until(Supplier<T> condition, String what, Duration timeout) {
        return new WebDriverWait(driver, timeout).withMessage(() -> "waited for " + what + " on "
                        + driver.getCurrentUrl() + "; page text: " + pageText())
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(d -> {
                    T value = condition.get();
                    return Boolean.FALSE.equals(value) ? null : value;
                });
    }

    String pageText() {
        try {
            return driver.findElement(By.tagName("body")).getText().replace('\n', ' ');
        } catch (RuntimeException e) {
            return "(none: " + e.getMessage() + ")";
        }
    }

    /** Saves the viewport, from the top of the page, as {@code <name>.png}. */
    Path screenshot(String name) {
        js("window.scrollTo(0, 0)");
        Path file = screenshots.resolve(name + ".png");
        try {
            Files.createDirectories(screenshots);
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Script errors the page logged since the last call; failed requests the test caused on purpose aside. */
    List<String> scriptErrors() {
        for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
            String message = entry.getMessage();
            boolean refusedOnPurpose = message.contains("Failed to load resource") && (message.contains("401")
                    || message.contains("403"));
            if (!refusedOnPurpose) {
                scriptErrors.add(message);
            }
        }
        List<String> found = List.copyOf(scriptErrors);
        scriptErrors.clear();
        return found;
    }

    @Override
    public void close() {
        driver.quit();
    }
}
