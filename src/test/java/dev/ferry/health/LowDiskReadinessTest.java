package dev.ferry.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.ferry.testing.KafkaBrokerResource;

/** With more free space required than any disk has, readiness is down and says why; liveness is not affected. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(LowDiskReadinessTest.MoreThanAnyDisk.class)
class LowDiskReadinessTest {

    public static class MoreThanAnyDisk implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.min-free-disk", "1000000G");
        }
    }

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @TestHTTPResource("/q/health/live")
    URL live;

    @Test
    void readinessIsDownNamingTheFolderAndTheMinimum() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(ready.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("ferry-folders").contains("state dir").contains("outbox")
                .contains("below ferry.min-free-disk");
        assertThat(HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(live.toString())).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
    }
}
