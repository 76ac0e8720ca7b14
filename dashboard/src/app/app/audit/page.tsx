"use client";

import { AuditTable } from "@/components/AuditTable";
import { PageHeader } from "@/components/ui";

export default function AuditPage() {
  return (
    <>
      <PageHeader title="Audit log" description="Who changed what, and when." />
      <AuditTable url="/customer/audit" />
    </>
  );
}
