import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Point {
  occurred_at: string;
  score: number;
}

/** A lead's score over time (uPlot, stepped: a score holds until the next change). */
export function ScoreChart({ points, label }: { points: Point[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || points.length === 0) return;
    const xs = points.map((p) => Date.parse(p.occurred_at) / 1000);
    const ys = points.map((p) => p.score);
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        series: [{}, { label: 'Score', stroke: '#1d4ed8', width: 2, fill: 'rgba(29,78,216,0.08)', paths: uPlot.paths.stepped!({ align: 1 }) }],
        axes: [{}, { label: 'score' }],
        legend: { show: true },
      },
      [xs, ys],
      el,
    );
    const onResize = () => plot.setSize({ width: width(), height: 220 });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [points]);
  if (points.length === 0) return <p>No score changes yet.</p>;
  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={`${label}: ${points.length} points, latest ${points[points.length - 1]!.score}`} />
    </figure>
  );
}
