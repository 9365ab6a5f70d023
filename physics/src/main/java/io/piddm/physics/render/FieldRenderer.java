package io.piddm.physics.render;

import io.piddm.physics.grid.Field;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Renders fields as PNG heatmaps: viridis colours, a colour bar with the value range, a title, and
 * grids of such panels for sample sheets. Row 0 of a field is drawn at the bottom (y grows up).
 */
public final class FieldRenderer {

  /** One panel of a sheet. */
  public record Panel(Field field, String title) {}

  private static final int BAR_WIDTH = 14;
  private static final int LABEL_WIDTH = 64;
  private static final int TITLE_HEIGHT = 20;
  private static final int PAD = 6;
  private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private FieldRenderer() {}

  /** Pixels per node so that a panel is at least ~160 px wide. */
  static int scale(Field field) {
    return Math.max(1, (int) Math.ceil(160.0 / field.cols()));
  }

  /** Width and height of one panel image. */
  static int panelWidth(Field f) {
    return PAD + f.cols() * scale(f) + PAD + BAR_WIDTH + LABEL_WIDTH;
  }

  static int panelHeight(Field f) {
    return TITLE_HEIGHT + f.rows() * scale(f) + PAD;
  }

  public static BufferedImage heatmap(Field field, String title) {
    BufferedImage image =
        new BufferedImage(panelWidth(field), panelHeight(field), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      draw(g, 0, 0, field, title);
    } finally {
      g.dispose();
    }
    return image;
  }

  /** A sheet of panels, {@code columns} per row, each with its own colour range. */
  public static BufferedImage sheet(List<Panel> panels, int columns) {
    if (panels.isEmpty()) {
      throw new IllegalArgumentException("panels: a sheet needs at least one panel");
    }
    if (columns < 1) {
      throw new IllegalArgumentException("columns must be positive, got " + columns);
    }
    int cellWidth = panels.stream().mapToInt(p -> panelWidth(p.field())).max().orElseThrow();
    int cellHeight = panels.stream().mapToInt(p -> panelHeight(p.field())).max().orElseThrow();
    int rows = (panels.size() + columns - 1) / columns;
    int cols = Math.min(columns, panels.size());
    BufferedImage image =
        new BufferedImage(cols * cellWidth, rows * cellHeight, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      for (int k = 0; k < panels.size(); k++) {
        draw(
            g,
            (k % columns) * cellWidth,
            (k / columns) * cellHeight,
            panels.get(k).field(),
            panels.get(k).title());
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  /** Writes a PNG by rename, so a reader never sees half an image. */
  public static void writePng(BufferedImage image, Path path) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temporary = parent.resolve(path.getFileName() + ".tmp");
    if (!ImageIO.write(image, "png", temporary.toFile())) {
      throw new IOException("no PNG writer available");
    }
    Files.move(
        temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void draw(Graphics2D g, int x0, int y0, Field field, String title) {
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setFont(FONT);
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double v : field.values()) {
      if (Double.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    if (!(max > min)) {
      max = min + 1; // constant (or empty) field: one colour
    }
    int s = scale(field);
    int left = x0 + PAD;
    int top = y0 + TITLE_HEIGHT;
    for (int i = 0; i < field.rows(); i++) {
      for (int j = 0; j < field.cols(); j++) {
        g.setColor(new Color(Viridis.rgb((field.get(i, j) - min) / (max - min))));
        g.fillRect(left + j * s, top + (field.rows() - 1 - i) * s, s, s);
      }
    }
    int height = field.rows() * s;
    int barLeft = left + field.cols() * s + PAD;
    for (int y = 0; y < height; y++) {
      g.setColor(new Color(Viridis.rgb(1 - y / (double) Math.max(1, height - 1))));
      g.fillRect(barLeft, top + y, BAR_WIDTH, 1);
    }
    g.setColor(Color.BLACK);
    FontMetrics metrics = g.getFontMetrics();
    g.drawString(label(max), barLeft + BAR_WIDTH + 3, top + metrics.getAscent());
    g.drawString(label(min), barLeft + BAR_WIDTH + 3, top + height);
    g.drawString(title == null ? "" : title, left, y0 + TITLE_HEIGHT - 6);
  }

  private static String label(double v) {
    return String.format(java.util.Locale.ROOT, "%.3g", v);
  }
}
