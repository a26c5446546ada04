package dev.ferry.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.ferry.config.FerryConfig;
import dev.ferry.testing.BrowserProfile;
import dev.ferry.testing.HeadlessChromium;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;

/**
 * The dashboard in a real browser (Debian's headless Chromium, driven through its chromedriver) while a large file
 * moves: the file's progress bar advances, reaches 100%, and the delivered file appears in the history. Saves a
 * screenshot to {@code target/dashboard.png}.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(BrowserProfile.class)
class DashboardBrowserTest {

    @Inject
    FerryConfig config;

    @TestHTTPResource("/")
    URL page;

    ChromeDriver browser;

    @BeforeEach
    void openBrowser() {
        browser = HeadlessChromium.start("the dashboard");
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void aProgressBarAdvancesToFullAndTheFileLandsInHistory() throws Exception {
        browser.get(page.toString());
        await("the page is live").atMost(Duration.ofSeconds(20))
                .until(() -> browser.findElement(By.id("connection")).getText().equals("live"));

        Path file = TestFiles.randomAtomically(config.producer().inbox().orElseThrow().resolve("browser/big.bin"),
                40L << 20, 3);
        String bar = "#in-flight tr[data-side='consumer'][data-path='browser/big.bin'] progress";
        List<Integer> seen = new ArrayList<>();
        await("the consumer's bar reaches 100%").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    // Read in one script call: the page rebuilds its rows twice a second, so an element found
                    // first and read after may already be gone.
                    Object value = browser.executeScript(
                            "const b = document.querySelector(arguments[0]); return b ? b.value : null;", bar);
                    if (value instanceof Number n) {
                        int v = n.intValue();
                        if (seen.isEmpty() || seen.get(seen.size() - 1) != v) {
                            seen.add(v);
                        }
                    }
                    return !seen.isEmpty() && seen.get(seen.size() - 1) == 100;
                });
        assertThat(seen).as("values the bar showed").isSorted();
        assertThat(seen.stream().filter(v -> v > 0 && v < 100).count())
                .as("seen on its way, not only at the end: " + seen).isGreaterThanOrEqualTo(2);

        await("delivered in history").atMost(Duration.ofSeconds(30))
                .until(() -> !browser
                        .findElements(By.cssSelector(
                                "#history tr[data-path='browser/big.bin'][data-consumer-state='delivered']"))
                        .isEmpty());
        assertThat(browser.findElement(By.id("routes")).getText()).contains("default");
        // Sizes in binary units (a 40 MiB file is not "41.9 MB"); one row for the transfer, with both sides' states
        // (this process runs both roles). Read in one script call, as the page rebuilds its rows.
        String script = "const r = document.querySelectorAll(arguments[0]);"
                + " return r.length + ' rows: ' + (r[0] ? r[0].innerText : '');";
        await("one row, both sides, its size").atMost(Duration.ofSeconds(10)).untilAsserted(
                () -> assertThat((String) browser.executeScript(script, "#history tr[data-path='browser/big.bin']"))
                        .startsWith("1 rows: ").contains("producer delivered · consumer delivered")
                        .contains("40.0 MiB"));
        // The streams a click away.
        assertThat(browser.findElement(By.linkText("streams")).getAttribute("href")).endsWith("/streams");
        assertThat(TestFiles.sha256(config.consumer().outbox().orElseThrow().resolve("browser/big.bin")))
                .isEqualTo(TestFiles.sha256(file));

        // Opened after the transfer, the page still shows its throughput: the server keeps five minutes of it.
        browser.get(page.toString());
        await("the chart shows the transfer's throughput").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Object peak = browser.executeScript("return document.getElementById('chart').dataset.peak;");
            assertThat(peak).isNotNull();
            assertThat(Double.parseDouble((String) peak)).as("peak MB/s on a freshly opened page").isPositive();
        });
        Path shot = Path.of("target", "dashboard.png");
        Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
        assertThat(Files.size(shot)).isPositive();
    }
}
