"use client";

import { useEffect, useState, type ReactNode } from "react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { homeFor, useAuth } from "@/lib/auth";
import { Logo } from "./AuthCard";
import { Loading, cx } from "./ui";

export interface NavItem {
  href: string;
  label: string;
  permission?: string;
}

export const TENANT_NAV: NavItem[] = [
  { href: "/app/", label: "Home" },
  { href: "/app/conversations/", label: "Conversations", permission: "conversations:read" },
  { href: "/app/leads/", label: "Leads", permission: "leads:read" },
  { href: "/app/knowledge/", label: "Knowledge", permission: "knowledge:read" },
  { href: "/app/unanswered/", label: "Unanswered questions", permission: "knowledge:read" },
  { href: "/app/settings/", label: "Bot settings", permission: "config:read" },
  { href: "/app/keys/", label: "API keys", permission: "keys:manage" },
  { href: "/app/team/", label: "Team" },
  { href: "/app/billing/", label: "Billing", permission: "billing:read" },
  { href: "/app/audit/", label: "Audit log", permission: "audit:read" },
  { href: "/app/account/", label: "Account" },
  { href: "/onboarding/", label: "Setup guide" },
];

export const ADMIN_NAV: NavItem[] = [
  { href: "/admin/", label: "Overview" },
  { href: "/admin/tenants/", label: "Tenants" },
  { href: "/admin/billing/", label: "Billing" },
  { href: "/admin/webhooks/", label: "Web hooks" },
  { href: "/admin/audit/", label: "Audit log" },
];

/** Client-side guard: waits for /auth/me, sends anonymous users to /login/ and the wrong kind of user home. */
export function Guard({ area, children }: { area: "tenant" | "admin" | "any"; children: ReactNode }) {
  const { status, me } = useAuth();
  const router = useRouter();
  const allowed =
    status === "authed" && !!me && (area === "any" || (area === "tenant" ? !!me.tenant_id : !!me.platform_role));

  useEffect(() => {
    if (status === "anon") {
      const next = window.location.pathname + window.location.search;
      router.replace(`/login/?next=${encodeURIComponent(next)}`);
    } else if (status === "authed" && me && !allowed) {
      router.replace(homeFor(me));
    }
  }, [status, me, allowed, router]);

  if (!allowed) {
    return (
      <main className="flex min-h-screen items-center justify-center">
        <Loading />
      </main>
    );
  }
  return <>{children}</>;
}

export function Shell({ nav, children, area }: { nav: NavItem[]; children: ReactNode; area: "tenant" | "admin" }) {
  const { me, logout, can } = useAuth();
  const pathname = usePathname();
  // the mobile menu, open on the page where it was opened: a navigation closes it
  const [openOn, setOpenOn] = useState<string | null>(null);
  const open = openOn === pathname;
  const items = nav.filter((n) => !n.permission || can(n.permission));

  const isActive = (href: string) => (href === "/app/" || href === "/admin/" ? pathname === href || pathname === href.slice(0, -1) : pathname.startsWith(href));

  const links = (
    <nav className="flex flex-col gap-0.5" aria-label="Main">
      {items.map((n) => (
        <Link prefetch={false}
          key={n.href}
          href={n.href}
          className={cx(
            "rounded-md px-3 py-2 text-sm font-medium",
            isActive(n.href) ? "bg-brand-50 text-brand-700" : "text-slate-700 hover:bg-slate-100",
          )}
          aria-current={isActive(n.href) ? "page" : undefined}
        >
          {n.label}
        </Link>
      ))}
    </nav>
  );

  const userBox = (
    <div className="border-t border-slate-200 pt-3 text-sm">
      <p className="truncate font-medium text-slate-900">{me?.name || me?.email}</p>
      <p className="truncate text-xs text-slate-500">
        {area === "admin" ? `Platform ${me?.platform_role ?? ""}` : `${me?.tenant_name ?? ""} · ${me?.role ?? ""}`}
      </p>
      {me?.platform_role && me.tenant_id && (
        <Link prefetch={false} href={area === "admin" ? "/app/" : "/admin/"} className="mt-2 block text-xs text-brand-600 hover:underline">
          {area === "admin" ? "Go to tenant dashboard" : "Go to platform admin"}
        </Link>
      )}
      <button
        type="button"
        onClick={() => void logout()}
        data-testid="logout"
        className="mt-2 w-full rounded-md border border-slate-300 px-3 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-50"
      >
        Log out
      </button>
    </div>
  );

  return (
    <div className="min-h-screen sm:flex">
      {/* top bar (≤ 640 px) */}
      <header className="sticky top-0 z-30 border-b border-slate-200 bg-white sm:hidden">
        <div className="flex items-center justify-between px-4 py-3">
          <Logo />
          <button
            type="button"
            className="rounded-md border border-slate-300 px-3 py-1.5 text-sm"
            aria-expanded={open}
            aria-controls="mobile-menu"
            onClick={() => setOpenOn(open ? null : pathname)}
            data-testid="menu-toggle"
          >
            {open ? "Close" : "Menu"}
          </button>
        </div>
        {open && (
          <div id="mobile-menu" className="space-y-3 border-t border-slate-200 px-3 pb-3 pt-2">
            {links}
            {userBox}
          </div>
        )}
      </header>
      {/* sidebar (> 640 px) */}
      <aside className="sticky top-0 hidden h-screen w-56 shrink-0 flex-col justify-between border-r border-slate-200 bg-white p-3 sm:flex">
        <div className="space-y-4 overflow-y-auto">
          <Logo className="px-2 pt-1" />
          {area === "admin" && <p className="px-3 text-xs font-semibold uppercase tracking-wide text-slate-400">Platform admin</p>}
          {links}
        </div>
        {userBox}
      </aside>
      <main className="min-w-0 flex-1 px-4 py-5 sm:px-8 sm:py-8">
        <div className="mx-auto max-w-6xl">{children}</div>
      </main>
    </div>
  );
}
