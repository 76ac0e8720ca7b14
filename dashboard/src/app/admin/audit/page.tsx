"use client";

import { AuditTable } from "@/components/AuditTable";
import { PageHeader } from "@/components/ui";

export default function AdminAuditPage() {
  return (
    <>
      <PageHeader title="Platform audit log" />
      <AuditTable url="/admin/audit" showTenant />
    </>
  );
}
