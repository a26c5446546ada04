package dev.ferry.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.ferry.testing.HeadlessChromium;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestVideos;

/**
 * Logging in as a person does, in a real browser: the dashboard's address leads to the login page, the form leads back
 * to a live dashboard naming the user, a stream plays, and "log out" ends the session.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(LockedAccessTest.Locked.class)
class LoginBrowserTest {

    @TestHTTPResource("/")
    URL page;

    ChromeDriver browser;

    @BeforeEach
    void openBrowser() {
        browser = HeadlessChromium.start("the login page");
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void aPersonLogsInSeesTheLiveDashboardAndAPlayingStreamAndLogsOut() throws Exception {
        browser.get(page.toString());
        await("sent to log in").atMost(Duration.ofSeconds(10))
                .until(() -> browser.getCurrentUrl().contains("/login.html"));
        browser.findElement(By.name("j_username")).sendKeys("alice");
        browser.findElement(By.name("j_password")).sendKeys(LockedAccessTest.PASSWORD);
        browser.findElement(By.cssSelector("button[type=submit]")).click();

        await("the dashboard is live").atMost(Duration.ofSeconds(20))
                .until(() -> !browser.findElements(By.id("connection")).isEmpty()
                        && browser.findElement(By.id("connection")).getText().equals("live"));
        await("it names the user").atMost(Duration.ofSeconds(10))
                .until(() -> browser.findElement(By.id("access")).getText().startsWith("alice"));

        // The video plays for a logged-in viewer: the MJPEG stream uses the same session.
        TestVideos.record(LockedAccessTest.STREAMS.resolve("login.mp4"), "mp4", 480, 24, 96, 72);
        await("the stream is listed").atMost(Duration.ofSeconds(60)).until(() -> {
            browser.get(new URL(page, "/streams").toString());
            return !browser.findElements(By.cssSelector("#streams tr[data-stream='login'] a")).isEmpty();
        });
        browser.get(new URL(page, "/streams/login").toString());
        await("a picture plays").atMost(Duration.ofSeconds(30)).until(() -> Boolean.TRUE.equals(browser.executeScript(
                "const i = document.getElementById('frame'); return i.complete && i.naturalWidth === 96;")));

        browser.get(page.toString());
        await("back on the dashboard").atMost(Duration.ofSeconds(10))
                .until(() -> !browser.findElements(By.linkText("log out")).isEmpty());
        browser.findElement(By.linkText("log out")).click();
        await("logged out").atMost(Duration.ofSeconds(10)).until(() -> browser.getCurrentUrl().contains("/login.html"));
        browser.get(page.toString());
        assertThat(browser.getCurrentUrl()).as("the session is gone").contains("/login.html");
    }

    /** Single sign-on in a real browser: the login page's button, the identity provider's form, and back. */
    @Test
    void aPersonLogsInThroughTheIdentityProviderAndLandsWhereTheyWereGoing() throws Exception {
        browser.get(new URL(page, "/streams").toString());
        await("the single sign-on button").atMost(Duration.ofSeconds(10))
                .until(() -> browser.findElement(By.id("sso")).isDisplayed());
        browser.findElement(By.id("sso-link")).click();
        await("at the identity provider").atMost(Duration.ofSeconds(10))
                .until(() -> browser.getCurrentUrl().contains("/realm/auth"));
        browser.findElement(By.name("username")).sendKeys("ada");
        browser.findElement(By.cssSelector("button[type=submit]")).click();
        await("back on the streams page").atMost(Duration.ofSeconds(20))
                .until(() -> browser.getCurrentUrl().equals(new URL(page, "/streams").toString())
                        && !browser.findElements(By.id("streams")).isEmpty());

        browser.get(page.toString());
        await("the dashboard names the user").atMost(Duration.ofSeconds(10))
                .until(() -> browser.findElement(By.id("access")).getText().startsWith("ada"));
        browser.findElement(By.linkText("log out")).click();
        await("logged out").atMost(Duration.ofSeconds(10)).until(() -> browser.getCurrentUrl().contains("/login.html"));
        browser.get(page.toString());
        assertThat(browser.getCurrentUrl()).as("Ferry's session is gone").contains("/login.html");
    }
}
