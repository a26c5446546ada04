package dev.ferry.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.ferry.config.FerryConfig;
import dev.ferry.testing.Http;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;

/** The transfers API against a real transfer through a real broker, both roles in one app. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TransfersApiTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    FerryConfig config;

    @TestHTTPResource("/")
    URL base;

    record Reply(int status, String type, JsonNode body) {
    }

    Reply get(String path) throws Exception {
        HttpResponse<String> r = Http.get(base, path);
        String type = r.headers().firstValue("content-type").orElse("");
        return new Reply(r.statusCode(), type, type.contains("json") ? JSON.readTree(r.body()) : null);
    }

    @Test
    void aDeliveredFileIsListedByBothSidesWithItsHashAndTotals() throws Exception {
        Path file = TestFiles.randomAtomically(config.producer().inbox().orElseThrow().resolve("api/report.bin"),
                3L << 20, 11);
        String sha = TestFiles.sha256(file);
        Path delivered = config.consumer().outbox().orElseThrow().resolve("api/report.bin");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));

        JsonNode consumer = await().atMost(Duration.ofSeconds(30)).until(
                () -> find(get("/api/transfers?state=delivered&side=consumer&size=500").body(), "api/report.bin"),
                n -> n != null);
        assertThat(consumer.path("sha256").asText()).isEqualTo(sha);
        assertThat(consumer.path("size").asLong()).isEqualTo(3L << 20);
        assertThat(consumer.path("bytesDone").asLong()).isEqualTo(3L << 20);
        assertThat(consumer.path("chunksDone").asInt()).isEqualTo(consumer.path("chunksTotal").asInt()).isEqualTo(6);
        assertThat(consumer.path("route").asText()).isEqualTo("default");
        assertThat(consumer.path("finishedAt").isNull()).isFalse();
        assertThat(consumer.path("rate").asLong()).isPositive();
        assertThat(consumer.path("partition").isInt()).isTrue();

        String id = consumer.path("id").asText();
        // The producer learns of the delivery from the receipt.
        await().atMost(Duration.ofSeconds(30)).until(
                () -> get("/api/transfers/" + id + "?side=producer").body().path("state").asText().equals("DELIVERED"));
        Reply one = get("/api/transfers/" + id);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body().path("side").asText()).isEqualTo("consumer");
        assertThat(one.body().path("path").asText()).isEqualTo("api/report.bin");
    }

    @Test
    void unknownIdsAndBadFiltersAreProblemsThatSayWhy() throws Exception {
        Reply missing = get("/api/transfers/0000deadbeef");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.type()).startsWith("application/problem+json");
        assertThat(missing.body().path("detail").asText()).contains("no transfer 0000deadbeef");
        assertThat(missing.body().path("status").asInt()).isEqualTo(404);

        Reply badState = get("/api/transfers?state=lost");
        assertThat(badState.status()).isEqualTo(400);
        assertThat(badState.body().path("detail").asText()).contains("unknown state 'lost'")
                .contains("delivered, failed, quarantined, expired");

        assertThat(get("/api/transfers?size=0").status()).isEqualTo(400);
        assertThat(get("/api/transfers?side=both").status()).isEqualTo(400);
    }

    @Test
    void pagesAreBoundedAndCountTheWhole() throws Exception {
        for (int i = 0; i < 3; i++) {
            TestFiles.randomAtomically(config.producer().inbox().orElseThrow().resolve("paging/p" + i + ".bin"),
                    1000 + i, i);
        }
        await().atMost(Duration.ofSeconds(60))
                .until(() -> get("/api/transfers?state=delivered&side=consumer").body().path("total").asInt() >= 3);
        Reply page = get("/api/transfers?state=delivered&side=consumer&size=1&page=1");
        assertThat(page.body().path("items")).hasSize(1);
        assertThat(page.body().path("page").asInt()).isEqualTo(1);
        assertThat(page.body().path("total").asInt()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void metricsCountFilesAndBytesByOutcomeAndShowLatenciesAndLag() throws Exception {
        Path file = TestFiles.randomAtomically(config.producer().inbox().orElseThrow().resolve("metrics/m.bin"),
                2L << 20, 21);
        Path delivered = config.consumer().outbox().orElseThrow().resolve("metrics/m.bin");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));
        await().atMost(Duration.ofSeconds(30)).until(() -> metric(metrics(),
                "ferry_files_total{outcome=\"delivered\",route=\"default\",side=\"producer\"}") >= 1);
        String text = metrics();
        assertThat(metric(text, "ferry_files_total{outcome=\"delivered\",route=\"default\",side=\"consumer\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(metric(text, "ferry_file_bytes_total{outcome=\"delivered\",route=\"default\",side=\"consumer\"}"))
                .isGreaterThanOrEqualTo(2 << 20);
        assertThat(metric(text, "ferry_transferred_bytes_total{route=\"default\",side=\"producer\"}"))
                .isGreaterThanOrEqualTo(2 << 20);
        assertThat(text).contains("ferry_file_duration_seconds_bucket{").contains("ferry_chunk_ack_seconds_bucket{")
                .contains("ferry_transfers_in_flight{side=\"consumer\"}").contains("ferry_staging_bytes")
                .contains("kafka_consumer_fetch_manager_records_lag");
        assertThat(Files.exists(file)).isTrue();
    }

    private String metrics() {
        return Http.get(base, "/q/metrics").body();
    }

    /** The value of the sample whose name and labels start with {@code sample}, or -1. */
    private static double metric(String text, String sample) {
        for (String line : text.split("\n")) {
            if (line.startsWith(sample)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    @Test
    void theApiIsDescribedByOpenApi() throws Exception {
        HttpResponse<String> r = Http.get(base, "/q/openapi?format=json");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode doc = JSON.readTree(r.body());
        assertThat(doc.path("paths").has("/api/transfers")).isTrue();
        assertThat(doc.path("paths").has("/api/transfers/{id}")).isTrue();
    }

    private static JsonNode find(JsonNode page, String path) {
        for (JsonNode t : page.path("items")) {
            if (t.path("path").asText().equals(path)) {
                return t;
            }
        }
        return null;
    }
}
