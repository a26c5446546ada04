package dev.ferry.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.ferry.testing.BrowserProfile;
import dev.ferry.testing.HeadlessChromium;
import dev.ferry.testing.Http;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.MjpegClient;
import dev.ferry.testing.TestVideos;
import dev.ferry.testing.TopicReader;

/**
 * Videos and image folders dropped into the streams inbox become frames in Kafka (counted, in order, decodable, at the
 * source's pace), bad input becomes a failed stream and nothing else, and the MJPEG endpoint plays a stream at its own
 * speed, to several viewers at their own positions, resuming where a viewer left off.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(BrowserProfile.class)
class StreamsTest {

    static final Path INBOX = BrowserProfile.STREAMS_INBOX;
    static final int FAIR_FRAMES = 288;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/")
    URL root;

    @Test
    void aVideoBecomesItsFramesInOrderAsDecodableJpegsAtItsOwnPace() throws Exception {
        TestVideos.record(INBOX.resolve("colors.mp4"), "mp4", 48, 24, 160, 120);
        StreamInfo info = awaitState("colors", "ended");
        assertThat(info.frames()).isEqualTo(48);
        assertThat(info.fps()).isEqualTo(24.0);
        assertThat(info.width()).isEqualTo(160);
        assertThat(info.updatedAt() - info.startedAt()).as("paced at 24 fps: 48 frames take about 2 s")
                .isGreaterThanOrEqualTo(1_800);

        List<ConsumerRecord<String, byte[]>> frames = framesOf("colors");
        assertThat(frames).hasSize(48);
        long lastPts = -1;
        for (int i = 0; i < frames.size(); i++) {
            ConsumerRecord<String, byte[]> r = frames.get(i);
            assertThat(header(r, FrameFormat.FRAME)).isEqualTo(Integer.toString(i));
            assertThat(header(r, FrameFormat.STREAM)).isEqualTo("colors");
            assertThat(header(r, FrameFormat.FPS)).isEqualTo("24.0");
            long pts = Long.parseLong(header(r, FrameFormat.PTS_US));
            assertThat(pts).as("presentation time of frame " + i).isGreaterThan(lastPts);
            lastPts = pts;
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(r.value()));
            assertThat(image).as("frame " + i + " decodes as an image").isNotNull();
            assertThat(image.getWidth()).isEqualTo(160);
            assertThat(TestVideos.indexOf(image)).as("picture of frame " + i).isEqualTo(i);
        }
        assertThat(lastPts).as("the last frame is shown about 2 s in").isBetween(1_900_000L, 2_000_000L);
    }

    /**
     * A phone held upright stores its video on its side with a display rotation: the frames come out upright (portrait,
     * the stored picture's top on the right), and the stream says it is portrait.
     */
    @Test
    void aPhoneVideoStoredOnItsSidePlaysUprightAndItsPageFitsTheWindow() throws Exception {
        TestVideos.recordRotated(INBOX.resolve("phone.mp4"), 24, 24, 1280, 720, -90);
        StreamInfo info = awaitState("phone", "ended");
        assertThat(info.width()).as("shown width").isEqualTo(720);
        assertThat(info.height()).as("shown height").isEqualTo(1280);
        BufferedImage first = ImageIO.read(new ByteArrayInputStream(framesOf("phone").get(0).value()));
        assertThat(first.getWidth()).isEqualTo(720);
        assertThat(first.getHeight()).isEqualTo(1280);
        int right = first.getRGB(540, 640);
        int left = first.getRGB(180, 640);
        assertThat((right >> 16) & 0xff).as("the stored top (red) is on the right").isGreaterThan(200);
        assertThat(left & 0xff).as("the stored bottom (blue) is on the left").isGreaterThan(200);

        // Its page in a 1280x800 window: the 1280 px tall picture is scaled to fit, nothing scrolls sideways.
        ChromeDriver browser = HeadlessChromium.start("the stream page of a portrait video");
        try {
            browser.manage().window().setSize(new Dimension(1280, 800));
            browser.get(new URL(root, "/streams/phone").toString());
            browser.findElement(By.cssSelector("button[data-from='start']")).click();
            await("the picture fits the window").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                String fit = (String) browser.executeScript("""
                        const img = document.getElementById('frame');
                        if (!img.complete || img.naturalWidth === 0) return 'not loaded';
                        const r = img.getBoundingClientRect();
                        return r.bottom <= innerHeight && r.right <= innerWidth
                            && document.documentElement.scrollWidth <= innerWidth ? 'fits'
                            : r.width + 'x' + r.height + ' at ' + r.top + ', page ' + innerWidth + 'x' + innerHeight;
                        """);
                assertThat(fit).isEqualTo("fits");
            });
        } finally {
            browser.quit();
        }
    }

    @Test
    void aFolderOfImagesIsAStreamInTheOrderOfTheirNames() throws Exception {
        Path staging = Files.createDirectories(INBOX.resolveSibling("staging-pics"));
        for (int i : new int[] { 3, 0, 4, 1, 2 }) {
            ImageIO.write(TestVideos.picture(i, 64, 48), "png", staging.resolve(String.format("%03d.png", i)).toFile());
        }
        Files.move(staging, INBOX.resolve("pics"));
        assertThat(awaitState("pics", "ended").frames()).isEqualTo(5);
        List<ConsumerRecord<String, byte[]>> frames = framesOf("pics");
        assertThat(frames).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(TestVideos.indexOf(ImageIO.read(new ByteArrayInputStream(frames.get(i).value())))).isEqualTo(i);
        }
    }

    @Test
    void badInputIsAFailedStreamWithItsReasonAndTheProducerCarriesOn() throws Exception {
        Files.writeString(INBOX.resolveSibling("notes.mp4"), "not a video at all\n".repeat(100));
        Files.move(INBOX.resolveSibling("notes.mp4"), INBOX.resolve("notes.mp4"));
        // FFmpeg's reason in its own words (it reads a .mp4 as MP4, whose index it does not find); not JavaCV's calls,
        // error numbers or the server's paths.
        assertThat(awaitState("notes", "failed").error())
                .isEqualTo("notes.mp4 is not a video FFmpeg can read: moov atom not found");
        // Its MJPEG answers at once with the reason, instead of a 200 that never sends a frame.
        var failed = Http.get(root, "/streams/notes/mjpeg");
        assertThat(failed.statusCode()).isEqualTo(422);
        assertThat(failed.body()).contains("failed before its first frame").contains("not a video FFmpeg can read");

        // A file FFmpeg reads but that has no picture: a second of silence as WAV, written by the JDK.
        AudioFormat pcm = new AudioFormat(8000, 16, 1, true, false);
        try (var silence = new AudioInputStream(new ByteArrayInputStream(new byte[16000]), pcm, 8000)) {
            AudioSystem.write(silence, AudioFileFormat.Type.WAVE, INBOX.resolveSibling("hum.wav").toFile());
        }
        Files.move(INBOX.resolveSibling("hum.wav"), INBOX.resolve("hum.wav"));
        assertThat(awaitState("hum", "failed").error()).isEqualTo("hum.wav has no video stream (format wav)");

        // Matroska keeps its length up front: a file cut in half is found truncated after the frames that are there.
        Path whole = TestVideos.record(INBOX.resolveSibling("cut.mkv"), "matroska", 96, 24, 160, 120);
        byte[] bytes = Files.readAllBytes(whole);
        Files.write(whole, Arrays.copyOf(bytes, bytes.length / 2));
        Files.move(whole, INBOX.resolve("cut.mkv"));
        StreamInfo cut = awaitState("cut", "failed");
        assertThat(cut.error()).contains("cut.mkv is truncated");
        assertThat(cut.frames()).as("the frames before the cut were sent").isBetween(20L, 95L);

        // An MP4 cut short loses its index at the end: FFmpeg says so, and that is what the stream says.
        Path half = TestVideos.record(INBOX.resolveSibling("half.mp4"), "mp4", 48, 24, 160, 120);
        byte[] mp4 = Files.readAllBytes(half);
        Files.write(half, Arrays.copyOf(mp4, mp4.length / 2));
        Files.move(half, INBOX.resolve("half.mp4"));
        assertThat(awaitState("half", "failed").error())
                .isEqualTo("half.mp4 is not a video FFmpeg can read: moov atom not found");

        TestVideos.record(INBOX.resolve("after.mp4"), "mp4", 12, 24, 64, 48);
        assertThat(awaitState("after", "ended").frames()).isEqualTo(12);
        assertThat(Http.get(root, "/api/streams/nothing-like-this").statusCode()).isEqualTo(404);
    }

    @Test
    void viewersPlayAtTheStreamsPaceFromTheirOwnPositionsAndAReloadResumes() throws Exception {
        TestVideos.record(INBOX.resolve("resume.mp4"), "mp4", 120, 24, 96, 72);
        awaitState("resume", "ended");

        List<Long> first = new ArrayList<>();
        long started = System.nanoTime();
        try (MjpegClient viewer = open("resume", "viewer=alice")) {
            for (int i = 0; i < 24; i++) {
                MjpegClient.Part part = viewer.next();
                first.add(part.frame());
                assertThat(ImageIO.read(new ByteArrayInputStream(part.body()))).isNotNull();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertThat(first).as("a new viewer starts at the first frame, in order").isEqualTo(range(0, 24));
        assertThat(seconds).as("24 frames at 24 fps play in about a second, not at fetch speed").isGreaterThan(0.8);

        // The closed connection's viewer keeps its position in the bounded table, not as a consumer group of its own
        // (any ?viewer= value used to make one, and nothing cleaned them up).
        await("position kept").atMost(Duration.ofSeconds(10))
                .until(() -> !Http.get(root, "/q/metrics").body().contains("ferry_stream_viewer_positions 0.0"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertThat(admin.listGroups().all().get()).as("no consumer group per viewer")
                    .noneMatch(g -> g.groupId().startsWith("ferry-viewer"));
        }
        try (MjpegClient again = open("resume", "viewer=alice");
                MjpegClient other = open("resume", "viewer=bob");
                MjpegClient restart = open("resume", "viewer=alice&from=start")) {
            long resumedAt = again.next().frame();
            assertThat(resumedAt).as("a reload resumes where the viewer left off, not at the start").isBetween(24L,
                    60L);
            assertThat(again.next().frame()).isEqualTo(resumedAt + 1);
            assertThat(other.next().frame()).as("another viewer has its own position").isZero();
            assertThat(restart.next().frame()).as("from=start").isZero();
        }
        try (MjpegClient live = open("resume", "viewer=carol&from=live")) {
            assertThat(live.next().frame()).as("from=live on an ended stream: its last frame").isEqualTo(119);
        }
        // Closed connections release their viewers (and their Kafka consumers); what they were served is counted.
        await("viewers released").atMost(Duration.ofSeconds(10))
                .until(() -> Http.get(root, "/q/metrics").body().contains("ferry_stream_viewers 0.0"));
        assertThat(Http.get(root, "/q/metrics").body()).containsPattern(
                "ferry_stream_frames_served_total\\{stream=\"resume\"\\} (2[6-9]|[3-9]\\d|\\d{3})\\.0");

        var wrong = Http.get(root, "/streams/resume/mjpeg?from=middle");
        assertThat(wrong.statusCode()).isEqualTo(400);
        assertThat(wrong.body()).contains("from is 'middle'; allowed: start, live");
        var list = Http.get(root, "/streams");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains("<table id=\"streams\">").contains("/streams.js");
        assertThat(Http.get(root, "/api/streams").body()).contains("\"name\":\"resume\"");
        var none = Http.get(root, "/streams/no-such-stream");
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(none.headers().firstValue("content-type").orElse("")).as("a page for a browser, not JSON")
                .startsWith("text/html");
        assertThat(none.body()).contains("No stream named no-such-stream").contains("href=\"/streams\"");
        var page = Http.get(root, "/streams/resume");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("src=\"/streams/resume/mjpeg\"");
    }

    /**
     * Producer and viewers together: a live viewer gets each frame a moment after it was sent (the latency is measured
     * and written to target/stream-latency.txt), and the stream's page in Chromium shows a picture that keeps changing.
     * Screenshot: target/stream.png.
     */
    @Test
    void aLiveStreamPlaysInNearRealTimeOverHttpAndInTheBrowser() throws Exception {
        TestVideos.record(INBOX.resolveSibling("live.mp4"), "mp4", 240, 24, 320, 240);
        Files.move(INBOX.resolveSibling("live.mp4"), INBOX.resolve("live.mp4"));
        awaitState("live", "streaming");

        List<Long> latencies = new ArrayList<>();
        long previous = -1;
        long started = System.nanoTime();
        try (MjpegClient live = open("live", "viewer=dave&from=live")) {
            for (int i = 0; i < 48; i++) {
                MjpegClient.Part part = live.next();
                if (previous >= 0) {
                    assertThat(part.frame()).as("live frames follow each other").isEqualTo(previous + 1);
                }
                previous = part.frame();
                latencies.add(part.receivedMillis() - part.sentMillis());
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        List<Long> sorted = latencies.stream().sorted().toList();
        long median = sorted.get(sorted.size() / 2);
        long p95 = sorted.get(sorted.size() * 95 / 100);
        String measured = String.format(
                "live frames: %d in %.2f s (%.1f fps); latency send -> HTTP client: "
                        + "median %d ms, p95 %d ms, max %d ms%n",
                latencies.size(), seconds, latencies.size() / seconds, median, p95, sorted.get(sorted.size() - 1));
        Files.writeString(Path.of("target", "stream-latency.txt"), measured);
        System.out.print(measured);
        assertThat(previous).as("a live viewer starts at the newest frames, not at the start").isGreaterThan(47);
        assertThat(median).as("near real time: " + measured).isLessThan(1_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(root, "/q/metrics").body().matches(
                "(?s).*ferry_stream_frame_latency_seconds_count\\{stream=\"live\"\\} (4[89]|[5-9]\\d|\\d{3,})\\.0.*"));

        ChromeDriver browser = HeadlessChromium.start("the stream page");
        try {
            browser.get(new URL(root, "/streams/live").toString());
            List<Object> seen = new ArrayList<>();
            await("the picture changes").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(150))
                    .until(() -> {
                        // The image as the browser shows it now, reduced to the colour at its centre.
                        Object colour = browser.executeScript("""
                                const img = document.getElementById('frame');
                                if (!img.complete || img.naturalWidth === 0) return null;
                                const c = document.createElement('canvas');
                                c.width = img.naturalWidth; c.height = img.naturalHeight;
                                const g = c.getContext('2d');
                                g.drawImage(img, 0, 0);
                                return Array.from(g.getImageData(c.width / 2, c.height / 2, 1, 1).data).join(',');
                                """);
                        if (colour != null && !seen.contains(colour)) {
                            seen.add(colour);
                        }
                        return seen.size() >= 4;
                    });
            await().atMost(Duration.ofSeconds(10)).until(() -> !browser.findElement(By.id("info")).getText().isEmpty());
            assertThat(browser.findElement(By.id("state")).getText()).isIn("streaming", "ended");
            Path shot = Path.of("target", "stream.png");
            Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
            assertThat(Files.size(shot)).isPositive();

            browser.get(new URL(root, "/streams").toString());
            await("the list shows the stream").atMost(Duration.ofSeconds(10))
                    .until(() -> !browser.findElements(By.cssSelector("#streams tr[data-stream='live'] a")).isEmpty());
            assertThat(browser.findElement(By.cssSelector("#streams tr[data-stream='live']")).getText())
                    .containsPattern("live (streaming|ended) \\d+ 24\\.00 fps 320×240 live\\.mp4");
        } finally {
            browser.quit();
        }
    }

    /**
     * Fair to everyone: one client address (access is open here; logged-in users count per name) gets at most 4 viewers
     * (429 beyond, counted), a client that reads nothing is disconnected after the idle timeout (5 s in this profile)
     * and its place freed, and a viewer of an ended stream leaves after its last frame.
     */
    @Test
    void viewersAreLimitedPerUserAndOneThatReadsNothingIsDisconnected() throws Exception {
        // Grainy frames (large JPEGs) fill an unread socket's buffers in a few frames; 12 s of video, so every step
        // below but the last runs while it streams.
        TestVideos.recordGrainy(INBOX.resolve("fair.mp4"), FAIR_FRAMES, 24, 480, 360);
        awaitState("fair", "streaming");
        List<MjpegClient> four = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                four.add(open("fair", "viewer=v" + i + "&from=start"));
                four.get(i).next();
            }
            assertThatThrownBy(() -> open("fair", "viewer=v5")).as("a fifth viewer from one address")
                    .hasMessageContaining("HTTP 429").hasMessageContaining("Already 4 viewers for this address");
        } finally {
            for (MjpegClient c : four) {
                c.close();
            }
        }
        assertThat(Http.get(root, "/q/metrics").body())
                .contains("ferry_stream_viewers_refused_total{reason=\"per-user\"} 1.0");
        await("places freed").atMost(Duration.ofSeconds(10))
                .until(() -> Http.get(root, "/q/metrics").body().contains("ferry_stream_viewers 0.0"));

        // A client that asks and then reads nothing: a tiny receive window, never read.
        try (Socket idle = new Socket()) {
            idle.setReceiveBufferSize(1024);
            idle.connect(new InetSocketAddress(root.getHost(), root.getPort()));
            idle.getOutputStream().write(
                    ("GET /streams/fair/mjpeg?viewer=idle&from=start HTTP/1.1\r\nHost: " + root.getHost() + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            await("the idle viewer is connected").atMost(Duration.ofSeconds(10))
                    .until(() -> Http.get(root, "/q/metrics").body().contains("ferry_stream_viewers 1.0"));
            long started = System.nanoTime();
            await("disconnected after the idle timeout").atMost(Duration.ofSeconds(60)).until(() -> Http
                    .get(root, "/q/metrics").body().contains("ferry_stream_viewers_closed_total{reason=\"idle\"} 1.0"));
            System.out.printf("idle viewer disconnected after %.1f s%n", (System.nanoTime() - started) / 1e9);
            await("its place freed").atMost(Duration.ofSeconds(10))
                    .until(() -> Http.get(root, "/q/metrics").body().contains("ferry_stream_viewers 0.0"));
        }

        // A viewer of an ended stream leaves after the last frame, instead of holding its place forever.
        awaitState("fair", "ended");
        try (MjpegClient last = open("fair", "viewer=last&from=live")) {
            assertThat(last.next().frame()).isEqualTo(FAIR_FRAMES - 1);
            await("the ended stream's viewer left").atMost(Duration.ofSeconds(10))
                    .until(() -> Http.get(root, "/q/metrics").body().contains("ferry_stream_viewers 0.0"));
        }
    }

    private MjpegClient open(String stream, String query) throws Exception {
        return new MjpegClient(new URL(root, "/streams/" + stream + "/mjpeg?" + query));
    }

    StreamInfo awaitState(String name, String state) {
        return await(name + " " + state).atMost(Duration.ofSeconds(60)).until(() -> {
            var response = Http.get(root, "/api/streams/" + name);
            return response.statusCode() == 200 ? StreamInfo.fromJson(response.body()) : null;
        }, info -> info != null && info.state().label().equals(state));
    }

    private List<ConsumerRecord<String, byte[]>> framesOf(String stream) {
        List<ConsumerRecord<String, byte[]>> frames = new ArrayList<>();
        TopicReader.forEach(bootstrap, "ferry-frames", r -> {
            if (stream.equals(r.key())) {
                frames.add(r);
            }
        });
        return frames;
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static List<Long> range(long from, long to) {
        List<Long> range = new ArrayList<>();
        for (long i = from; i < to; i++) {
            range.add(i);
        }
        return range;
    }
}
