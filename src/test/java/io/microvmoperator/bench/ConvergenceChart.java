package io.microvmoperator.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** A PNG of VMs Ready against seconds, one step line per way of deploying (AWT, headless). */
final class ConvergenceChart {

  private static final int WIDTH = 960;
  private static final int HEIGHT = 540;
  private static final int LEFT = 70;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;
  private static final List<Color> COLORS =
      List.of(new Color(0xC0392B), new Color(0xE67E22), new Color(0x2471A3), new Color(0x229954));

  private final String title;
  private final Map<String, List<Double>> series = new LinkedHashMap<>();

  ConvergenceChart(String title) {
    this.title = title;
  }

  /** Adds a line: the seconds (from the start) at which each VM became Ready, in any order. */
  ConvergenceChart line(String label, List<Double> readyAtSeconds) {
    series.put(label, readyAtSeconds.stream().sorted().toList());
    return this;
  }

  void write(Path png) {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);

    double maxSeconds =
        niceCeiling(
            series.values().stream().flatMap(List::stream).max(Double::compare).orElse(1.0));
    int maxVms = series.values().stream().mapToInt(List::size).max().orElse(1);
    int plotWidth = WIDTH - LEFT - RIGHT;
    int plotHeight = HEIGHT - TOP - BOTTOM;

    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.setColor(Color.BLACK);
    g.drawString(title, LEFT, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int i = 0; i <= 10; i++) {
      int x = LEFT + plotWidth * i / 10;
      int y = TOP + plotHeight - plotHeight * i / 10;
      g.setColor(new Color(0xE5E5E5));
      g.drawLine(x, TOP, x, TOP + plotHeight);
      g.drawLine(LEFT, y, LEFT + plotWidth, y);
      g.setColor(Color.DARK_GRAY);
      String seconds = format(maxSeconds * i / 10);
      g.drawString(seconds, x - g.getFontMetrics().stringWidth(seconds) / 2, TOP + plotHeight + 18);
      String vms = String.valueOf(Math.round(maxVms * i / 10.0));
      g.drawString(vms, LEFT - 8 - g.getFontMetrics().stringWidth(vms), y + 4);
    }
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, plotWidth, plotHeight);
    g.drawString("seconds after the start", LEFT + plotWidth / 2 - 60, HEIGHT - 15);
    g.rotate(-Math.PI / 2);
    g.drawString("VMs Ready", -(TOP + plotHeight / 2 + 30), 20);
    g.rotate(Math.PI / 2);

    int index = 0;
    for (Map.Entry<String, List<Double>> line : series.entrySet()) {
      Color color = COLORS.get(index % COLORS.size());
      g.setColor(color);
      g.setStroke(new BasicStroke(2.2f));
      int lastX = LEFT;
      int lastY = TOP + plotHeight;
      List<Double> times = line.getValue();
      for (int i = 0; i < times.size(); i++) {
        int x = LEFT + (int) Math.round(plotWidth * times.get(i) / maxSeconds);
        int y = TOP + plotHeight - (int) Math.round((double) plotHeight * (i + 1) / maxVms);
        g.drawLine(lastX, lastY, x, lastY);
        g.drawLine(x, lastY, x, y);
        lastX = x;
        lastY = y;
      }
      int legendY = TOP + 20 + index * 20;
      g.fillRect(LEFT + plotWidth - 330, legendY - 9, 18, 4);
      g.setColor(Color.BLACK);
      g.drawString(line.getKey(), LEFT + plotWidth - 305, legendY - 3);
      index++;
    }
    g.dispose();
    try {
      ImageIO.write(image, "png", png.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double niceCeiling(double value) {
    double step = Math.pow(10, Math.floor(Math.log10(value)));
    for (double factor : new double[] {1, 2, 2.5, 5, 10}) {
      if (factor * step >= value) {
        return factor * step;
      }
    }
    return 10 * step;
  }

  private static String format(double seconds) {
    return seconds == Math.rint(seconds)
        ? String.valueOf((long) seconds)
        : String.format(java.util.Locale.ROOT, "%.1f", seconds);
  }
}
