"use client";

import { useRouter } from "next/navigation";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { homeFor, useAuth } from "@/lib/auth";
import { useQueryParam } from "@/lib/hooks";
import { acceptSchema } from "@/lib/schemas";
import type { Tokens } from "@/lib/types";
import { useAction } from "@/lib/query";
import { AuthCard } from "@/components/AuthCard";
import { Button, ErrorBox, Loading, TextInput } from "@/components/ui";

export default function AcceptInvitationPage() {
  const token = useQueryParam("token");
  const { signIn } = useAuth();
  const router = useRouter();
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(acceptSchema),
    defaultValues: { name: "", password: "" },
  });
  const accept = useAction(
    async (v: { name: string; password: string }) => {
      const res = await api.post<Tokens>("/auth/invitations/accept", { token, password: v.password, name: v.name });
      router.replace(homeFor(await signIn(res.data)));
    },
    { toastError: false }, // shown in the form
  );
  const error = accept.error;
  const onSubmit = handleSubmit((v) => accept.run(v));
  return (
    <AuthCard title="Join your team" subtitle="Set your name and a password to accept the invitation.">
      {token === undefined ? (
        <Loading />
      ) : !token ? (
        <ErrorBox error="This invitation link is missing its token. Ask for a new invitation." />
      ) : (
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          {error && <ErrorBox error={error} />}
          <TextInput label="Your name" autoComplete="name" {...register("name")} error={formState.errors.name?.message} />
          <TextInput label="Password" type="password" autoComplete="new-password" hint="At least 10 characters." {...register("password")} error={formState.errors.password?.message} />
          <Button type="submit" className="w-full" loading={formState.isSubmitting} data-testid="accept-submit">
            Accept invitation
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
