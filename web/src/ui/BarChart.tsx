import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Bar {
  label: string;
  value: number;
}

const HEIGHT = 240;

/** Bars with text labels (uPlot on a category axis: x is the bar's index). */
export function BarChart({ bars, label }: { bars: Bar[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || bars.length === 0) return;
    const xs = bars.map((_, i) => i);
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        // Bars start at 0 (uPlot would fit the axis to the data and cut them short).
        scales: { x: { time: false, range: [-0.5, bars.length - 0.5] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        series: [{}, { label, fill: 'rgba(29,78,216,0.55)', stroke: '#1d4ed8', paths: uPlot.paths.bars!({ size: [0.7, 64] }), points: { show: false } }],
        axes: [
          { splits: () => xs, values: (_u, splits) => splits.map((i) => truncate(bars[i]?.label ?? '')), rotate: bars.length > 6 ? -30 : 0, size: bars.length > 6 ? 70 : 40 },
          { label },
        ],
        legend: { show: false },
        cursor: { show: false },
      },
      [xs, bars.map((b) => b.value)],
      el,
    );
    const onResize = () => plot.setSize({ width: width(), height: HEIGHT });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [bars, label]);
  if (bars.length === 0) return <p>Nothing to chart yet.</p>;
  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={`${label} by campaign: ${bars.map((b) => `${b.label} ${b.value}`).join(', ')}`} />
    </figure>
  );
}

const truncate = (s: string) => (s.length > 16 ? `${s.slice(0, 15)}…` : s);
