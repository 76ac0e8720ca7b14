"use client";

import { useEffect, useRef, useState } from "react";
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from "recharts";
import type { DayCount } from "@/lib/types";

function shortDay(day: string): string {
  const [, m, d] = day.split("-");
  return m && d ? `${Number(m)}/${Number(d)}` : day;
}

/** Messages per day as a bar chart; measures its own width so Recharts never sees a 0×0 box. */
export function MessagesChart({ data, height = 240 }: { data: DayCount[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setWidth(Math.floor(el.getBoundingClientRect().width));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const rows = data.map((d) => ({ ...d, label: shortDay(d.day) }));

  return (
    <div ref={box} style={{ height }} className="w-full" data-testid="messages-chart">
      {width > 0 && (
        <BarChart width={width} height={height} data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="label" tick={{ fontSize: 11, fill: "#64748b" }} tickLine={false} axisLine={false} interval="preserveStartEnd" />
          <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: "#64748b" }} tickLine={false} axisLine={false} />
          <Tooltip cursor={{ fill: "#f1f5f9" }} formatter={(v) => [String(v), "Messages"]} labelFormatter={(l) => String(l)} />
          <Bar dataKey="messages" fill="#2563eb" radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      )}
    </div>
  );
}
