"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useAuth, homeFor } from "@/lib/auth";
import { Loading } from "@/components/ui";

export default function IndexPage() {
  const { status, me } = useAuth();
  const router = useRouter();
  useEffect(() => {
    if (status === "anon") router.replace("/login/");
    else if (status === "authed" && me) router.replace(homeFor(me));
  }, [status, me, router]);
  return (
    <main className="flex min-h-screen items-center justify-center">
      <Loading />
    </main>
  );
}
