package io.piddm.results;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/** The figures of docs/RESULTS.md as PNG, drawn with JFreeChart from the report's numbers. */
final class Charts {

  static {
    System.setProperty("java.awt.headless", "true");
  }

  /** One curve: points (x, mean, std) in order. */
  record Curve(String name, List<double[]> points) {}

  /**
   * One line of a trace figure: points (x, y, ignored) in order, its colour by what it shows and
   * its dash pattern by which run (e.g. training seed), so many runs of few quantities stay
   * readable.
   */
  record Line(String name, int colour, int dash, List<double[]> points) {}

  private static final float[][] DASHES = {null, {8f, 4f}, {2f, 3f}, {10f, 3f, 2f, 3f}};

  private static final int WIDTH = 820;
  private static final int HEIGHT = 500;

  private Charts() {}

  /** PDE error against network evaluations per sample, both axes logarithmic, ± std as bars. */
  static void pdeErrorVsNfe(List<Curve> curves, String residual, Path png) throws IOException {
    LogAxis x = readable(new LogAxis("network evaluations per sample (NFE)"));
    x.setSmallestValue(0.5);
    LogAxis y = readable(new LogAxis("relative PDE error (" + residual + ")"));
    y.setSmallestValue(1e-4);
    write(curves, x, y, "PDE error vs NFE", png);
  }

  /**
   * Mean relative L2 error of each reconstruction task over the evaluations of the graph, ± std
   * over seeds.
   */
  static void reconstructionOverSteps(List<Curve> curves, Path png) throws IOException {
    NumberAxis x = new NumberAxis("evaluation of reconstruct.onnx (optimiser step or trial)");
    LogAxis y = readable(new LogAxis("relative L2 error of the estimated channel"));
    y.setSmallestValue(1e-3);
    write(curves, x, y, "PIDDM reconstruction: error over steps", png);
  }

  /** Training curves: linear steps, logarithmic loss, no markers. */
  static void traces(List<Line> lines, String xLabel, String yLabel, Path png) throws IOException {
    org.jfree.data.xy.XYSeriesCollection data = new org.jfree.data.xy.XYSeriesCollection();
    org.jfree.chart.renderer.xy.XYLineAndShapeRenderer renderer =
        new org.jfree.chart.renderer.xy.XYLineAndShapeRenderer(true, false);
    double smallest = Double.POSITIVE_INFINITY;
    for (int i = 0; i < lines.size(); i++) {
      Line line = lines.get(i);
      org.jfree.data.xy.XYSeries series = new org.jfree.data.xy.XYSeries(line.name(), false);
      for (double[] p : line.points()) {
        if (p[1] > 0 && Double.isFinite(p[1])) {
          series.add(p[0], p[1]);
          smallest = Math.min(smallest, p[1]);
        }
      }
      data.addSeries(series);
      renderer.setSeriesPaint(i, PALETTE[line.colour() % PALETTE.length]);
      float[] dash = DASHES[line.dash() % DASHES.length];
      renderer.setSeriesStroke(
          i,
          dash == null
              ? new BasicStroke(1.5f)
              : new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
    }
    LogAxis y = readable(new LogAxis(yLabel));
    y.setSmallestValue(Double.isFinite(smallest) ? smallest / 2 : 1e-6);
    XYPlot plot = new XYPlot(data, new NumberAxis(xLabel), y, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(yLabel, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    Files.createDirectories(png.toAbsolutePath().getParent());
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
  }

  /** Histogram of latencies in milliseconds. */
  static void latencyHistogram(String name, double[] millis, Path png) throws IOException {
    org.jfree.data.statistics.HistogramDataset data =
        new org.jfree.data.statistics.HistogramDataset();
    data.addSeries(name, millis, 40);
    JFreeChart chart =
        org.jfree.chart.ChartFactory.createHistogram(
            "Latency: " + name,
            "milliseconds",
            "calls",
            data,
            org.jfree.chart.plot.PlotOrientation.VERTICAL,
            false,
            false,
            false);
    chart.setBackgroundPaint(Color.WHITE);
    chart.getXYPlot().setBackgroundPaint(Color.WHITE);
    Files.createDirectories(png.toAbsolutePath().getParent());
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
  }

  /** Plain numbers (0.5, 2, 100) on a log axis instead of powers like 10^0.3. */
  private static LogAxis readable(LogAxis axis) {
    axis.setNumberFormatOverride(new java.text.DecimalFormat("0.####"));
    // one labelled tick per decade (log-space unit 1), nine minor ticks between
    axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0));
    axis.setMinorTickCount(9);
    axis.setMinorTickMarksVisible(true);
    return axis;
  }

  /** Dark, distinct colours that stay readable on white. */
  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xd62728),
    new Color(0x2ca02c),
    new Color(0x9467bd),
    new Color(0xff7f0e),
    new Color(0x8c564b),
    new Color(0x17becf),
    new Color(0x7f7f7f)
  };

  private static void write(
      List<Curve> curves,
      org.jfree.chart.axis.ValueAxis x,
      org.jfree.chart.axis.ValueAxis y,
      String title,
      Path png)
      throws IOException {
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    for (Curve curve : curves) {
      YIntervalSeries series = new YIntervalSeries(curve.name());
      for (double[] p : curve.points()) {
        // a log axis cannot show a bar reaching zero: keep its low end above the axis floor
        double low = Math.max(p[1] - p[2], p[1] * 0.05);
        series.add(p[0], p[1], low, p[1] + p[2]);
      }
      data.addSeries(series);
    }
    XYErrorRenderer renderer = new XYErrorRenderer();
    renderer.setDefaultLinesVisible(true);
    renderer.setDefaultShapesVisible(true);
    renderer.setErrorStroke(new BasicStroke(1f));
    renderer.setDrawXError(false);
    for (int i = 0; i < curves.size(); i++) {
      renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    XYPlot plot = new XYPlot(data, x, y, renderer);
    // the first curve underneath: single points listed after it stay visible
    plot.setSeriesRenderingOrder(org.jfree.chart.plot.SeriesRenderingOrder.FORWARD);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    Files.createDirectories(png.toAbsolutePath().getParent());
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
  }
}
