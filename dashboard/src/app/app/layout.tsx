"use client";

import type { ReactNode } from "react";
import { Guard, Shell, TENANT_NAV } from "@/components/Shell";

export default function TenantLayout({ children }: { children: ReactNode }) {
  return (
    <Guard area="tenant">
      <Shell nav={TENANT_NAV} area="tenant">
        {children}
      </Shell>
    </Guard>
  );
}
