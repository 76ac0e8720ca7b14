"use client";

import type { ReactNode } from "react";
import { ADMIN_NAV, Guard, Shell } from "@/components/Shell";

export default function AdminLayout({ children }: { children: ReactNode }) {
  return (
    <Guard area="admin">
      <Shell nav={ADMIN_NAV} area="admin">
        {children}
      </Shell>
    </Guard>
  );
}
