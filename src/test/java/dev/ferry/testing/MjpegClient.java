package dev.ferry.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Reads a multipart/x-mixed-replace stream part by part, as a browser would, keeping each part's headers. */
public final class MjpegClient implements AutoCloseable {

    /** One part: the frame's headers, its bytes, and when it arrived. */
    public record Part(Map<String, String> headers, byte[] body, long receivedMillis) {

        public long frame() {
            return Long.parseLong(headers.get("x-ferry-frame"));
        }

        public long sentMillis() {
            return Long.parseLong(headers.get("x-ferry-sent-ms"));
        }
    }

    private final HttpURLConnection connection;
    private final DataInputStream in;
    private final String boundary;

    /** Reads the stream at {@code url} without credentials (a Quarkus test, where access is open). */
    public MjpegClient(URL url) throws IOException {
        this(url, null);
    }

    /** Reads the stream at {@code url} with a bearer token (null: without credentials). */
    public MjpegClient(URL url, String token) throws IOException {
        connection = (HttpURLConnection) url.openConnection();
        if (token != null) {
            connection.setRequestProperty("Authorization", "Bearer " + token);
        }
        connection.setReadTimeout(30_000);
        int status = connection.getResponseCode();
        if (status != 200) {
            InputStream error = connection.getErrorStream();
            throw new IOException("HTTP " + status + ": "
                    + (error == null ? "" : new String(error.readAllBytes(), StandardCharsets.UTF_8)));
        }
        String type = connection.getContentType();
        if (type == null || !type.startsWith("multipart/x-mixed-replace")) {
            throw new IOException("not a multipart/x-mixed-replace stream: " + type);
        }
        boundary = "--" + type.substring(type.indexOf("boundary=") + "boundary=".length());
        in = new DataInputStream(connection.getInputStream());
    }

    public String header(String name) {
        return connection.getHeaderField(name);
    }

    public Part next() throws IOException {
        String line;
        do {
            line = readLine();
        } while (line.isEmpty());
        if (!line.equals(boundary)) {
            throw new IOException("expected " + boundary + ", read " + line);
        }
        Map<String, String> headers = new HashMap<>();
        while (!(line = readLine()).isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        byte[] body = new byte[Integer.parseInt(headers.get("content-length"))];
        in.readFully(body);
        return new Part(headers, body, System.currentTimeMillis());
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("stream ended");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
