package dev.sprout.bench.e2e;

import dev.sprout.bench.kit.Stats;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's PNG charts, drawn with XChart in headless AWT ({@code java.awt.headless=true}). Time and bytes are
 * on log axes: the methods differ by orders of magnitude.
 */
final class Charts {
    private static final int WIDTH = 960;
    private static final int HEIGHT = 560;

    /** One line of a chart: its name and points. */
    record Series(String name, List<double[]> points) {}

    private Charts() {}

    /** x = database size (MiB), y = milliseconds, both log scales; one series per method. */
    static void timeVsSize(Path file, String title, List<Series> series) {
        XYChart c = chart(title, "database size (MiB, log scale)", "time (ms, log scale)");
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setXAxisDecimalPattern("#,##0");
        c.getStyler().setYAxisDecimalPattern("#,##0.#");
        decades(c, series);
        double yMin = series.stream()
                .flatMap(x -> x.points().stream())
                .mapToDouble(p -> p[1])
                .filter(v -> v > 0)
                .min()
                .orElse(Double.NaN);
        double yMax = series.stream()
                .flatMap(x -> x.points().stream())
                .mapToDouble(p -> p[1])
                .max()
                .orElse(Double.NaN);
        if (!Double.isNaN(yMin)) {
            c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(yMin))));
            c.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(yMax * 1.0001))));
        }
        add(c, series);
        save(c, file);
    }

    /** x = database size (MiB), y = bytes added (log); values below 1 are drawn at 1. */
    static void bytesVsSize(Path file, String title, List<Series> series) {
        XYChart c = chart(title, "database size (MiB, log scale)", "bytes of storage added per copy (log scale)");
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setXAxisDecimalPattern("#,##0");
        c.getStyler().setYAxisDecimalPattern("#,##0");
        List<Series> clamped = new ArrayList<>();
        for (Series s : series) {
            clamped.add(new Series(
                    s.name(),
                    s.points().stream()
                            .map(p -> new double[] {p[0], Math.max(1, p[1])})
                            .toList()));
        }
        decades(c, clamped);
        add(c, clamped);
        save(c, file);
    }

    /** x = branch number, y = its create latency (ms): every create as a dot, the running median of 100 as a line. */
    static void latencyVsCount(Path file, String title, List<Double> ms) {
        XYChart c = chart(title, "branches created so far", "branch create through the API (ms)");
        double[] x = new double[ms.size()];
        double[] y = new double[ms.size()];
        double[] med = new double[ms.size()];
        for (int i = 0; i < ms.size(); i++) {
            x[i] = i + 1;
            y[i] = ms.get(i);
            med[i] = Stats.percentile(ms.subList(Math.max(0, i - 99), i + 1), 50);
        }
        XYSeries dots = c.addSeries("each create", x, y);
        dots.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        dots.setMarker(SeriesMarkers.CIRCLE);
        dots.setMarkerColor(new Color(70, 130, 180, 140));
        XYSeries line = c.addSeries("median of the last 100", x, med);
        line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        line.setMarker(SeriesMarkers.NONE);
        line.setLineColor(new Color(200, 60, 40));
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setXAxisDecimalPattern("#,##0");
        c.getStyler().setXAxisMaxLabelCount(12);
        save(c, file);
    }

    /**
     * A log x axis from the power of ten below the smallest size to the one above the largest: XChart labels a log
     * axis at powers of ten only, so sizes within one decade (a quick run's) would get no label at all.
     */
    private static void decades(XYChart c, List<Series> series) {
        double min = series.stream()
                .flatMap(s -> s.points().stream())
                .mapToDouble(p -> p[0])
                .min()
                .orElse(Double.NaN);
        double max = series.stream()
                .flatMap(s -> s.points().stream())
                .mapToDouble(p -> p[0])
                .max()
                .orElse(Double.NaN);
        if (!Double.isNaN(min) && min > 0) {
            c.getStyler().setXAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
            c.getStyler().setXAxisMax(Math.pow(10, Math.ceil(Math.log10(max * 1.0001))));
        }
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title(title)
                .xAxisTitle(xTitle)
                .yAxisTitle(yTitle)
                .build();
        Styler st = c.getStyler();
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        st.setChartBackgroundColor(Color.WHITE);
        st.setMarkerSize(7);
        return c;
    }

    private static void add(XYChart c, List<Series> series) {
        for (Series s : series) {
            if (s.points().isEmpty()) {
                continue;
            }
            double[] x = s.points().stream().mapToDouble(p -> p[0]).toArray();
            double[] y = s.points().stream().mapToDouble(p -> p[1]).toArray();
            XYSeries xy = c.addSeries(s.name(), x, y);
            xy.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            xy.setMarker(SeriesMarkers.CIRCLE);
        }
    }

    private static void save(XYChart c, Path file) {
        try {
            BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }
}
