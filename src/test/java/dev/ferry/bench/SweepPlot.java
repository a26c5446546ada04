package dev.ferry.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

/** Draws the chunk-size sweep as a PNG with the JDK alone (headless), so the benchmark needs no plotting tool. */
final class SweepPlot {

    private SweepPlot() {
    }

    /** {@code sizes} in KiB; {@code figures} per size: {Ferry MB/s, raw MB/s}. */
    static void write(Path file, List<int[]> sizes, List<double[]> figures, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 900;
        int h = 520;
        int left = 80;
        int right = 30;
        int top = 60;
        int bottom = 80;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double max = figures.stream().flatMapToDouble(Arrays::stream).max().orElse(1) * 1.15;
        int plotW = w - left - right;
        int plotH = h - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.DARK_GRAY);
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            double v = max * i / 5;
            int y = top + plotH - (int) (plotH * i / 5.0);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, y, left + plotW, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format("%.0f", v), left - 45, y + 4);
        }
        g.drawString("MB/s", 20, top - 10);
        int n = sizes.size();
        int slot = plotW / n;
        int bar = slot / 3;
        Color ferry = new Color(33, 102, 172);
        Color raw = new Color(178, 178, 178);
        for (int i = 0; i < n; i++) {
            int x = left + i * slot + slot / 6;
            double[] f = figures.get(i);
            int hf = (int) (plotH * f[0] / max);
            int hr = (int) (plotH * f[1] / max);
            g.setColor(ferry);
            g.fillRect(x, top + plotH - hf, bar, hf);
            g.setColor(raw);
            g.fillRect(x + bar, top + plotH - hr, bar, hr);
            g.setColor(Color.DARK_GRAY);
            int kib = sizes.get(i)[0];
            String label = kib >= 1024 ? kib / 1024 + " MiB" : kib + " KiB";
            g.drawString(label, x + bar / 2, top + plotH + 18);
            g.drawString(String.format("%.0f%%", 100 * f[0] / f[1]), x + bar / 2, top + plotH + 34);
        }
        g.setStroke(new BasicStroke(1));
        g.drawLine(left, top + plotH, left + plotW, top + plotH);
        g.drawString("chunk (record) size; percentage = Ferry / raw", left, h - 20);
        g.setColor(ferry);
        g.fillRect(w - 260, 42, 12, 12);
        g.setColor(Color.DARK_GRAY);
        g.drawString("Ferry end to end", w - 242, 53);
        g.setColor(raw);
        g.fillRect(w - 130, 42, 12, 12);
        g.setColor(Color.DARK_GRAY);
        g.drawString("raw Kafka pipe", w - 112, 53);
        g.dispose();
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(image, "png", file.toFile());
    }
}
