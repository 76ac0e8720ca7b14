"use client";

import { useEffect } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { useAction, useApiQuery } from "@/lib/query";
import { accountSchema, businessSchema } from "@/lib/schemas";
import type { Account, Tenant } from "@/lib/types";
import { QueryView } from "@/components/DataTable";
import { Button, Card, PageHeader, TextInput } from "@/components/ui";

export default function AccountPage() {
  const { me } = useAuth();
  const account = useApiQuery<Account>("/customer/account");
  const business = useApiQuery<Tenant>("/customer/business");
  return (
    <>
      <PageHeader title="Account" description={me?.email} />
      <div className="grid gap-5 lg:grid-cols-2">
        <Card title="Your profile">
          <QueryView query={account} retry={false}>
            {(a) => <AccountForm account={a} onSaved={account.setData} />}
          </QueryView>
        </Card>
        <Card title="Business">
          <QueryView query={business} retry={false}>
            {(t) => <BusinessForm tenant={t} onSaved={business.setData} />}
          </QueryView>
        </Card>
      </div>
    </>
  );
}

function AccountForm({ account, onSaved }: { account: Account; onSaved: (a: Account) => void }) {
  const { reload } = useAuth();
  const { register, handleSubmit, formState, reset } = useForm({
    resolver: zodResolver(accountSchema),
    defaultValues: { name: account.name, current_password: "", new_password: "" },
  });
  useEffect(() => reset({ name: account.name, current_password: "", new_password: "" }), [account, reset]);
  const patch = useAction(
    (v: { name: string; current_password: string; new_password: string }) =>
      api.patch<Account>("/customer/account", v.new_password ? v : { name: v.name }),
    {
      success: (_, v) => (v.new_password ? "Profile and password updated" : "Profile updated"),
      onSuccess: (res) => {
        onSaved(res.data);
        void reload();
      },
    },
  );
  const save = handleSubmit((v) => patch.run(v));
  return (
    <form onSubmit={save} className="space-y-3" noValidate>
      <TextInput label="Email" value={account.email} readOnly disabled name="email" />
      <TextInput label="Name" autoComplete="name" {...register("name")} error={formState.errors.name?.message} />
      <p className="pt-2 text-sm font-medium text-slate-700">Change password</p>
      <TextInput label="Current password" type="password" autoComplete="current-password" {...register("current_password")} error={formState.errors.current_password?.message} />
      <TextInput label="New password" type="password" autoComplete="new-password" hint="At least 10 characters." {...register("new_password")} error={formState.errors.new_password?.message} />
      <Button type="submit" loading={formState.isSubmitting} data-testid="account-save">
        Save profile
      </Button>
    </form>
  );
}

function BusinessForm({ tenant, onSaved }: { tenant: Tenant; onSaved: (t: Tenant) => void }) {
  const { reload, can } = useAuth();
  const owner = can("config:write");
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(businessSchema),
    defaultValues: { name: tenant.name, email: tenant.email },
  });
  const patch = useAction((v: { name: string; email: string }) => api.patch<Tenant>("/customer/business", v), {
    success: "Business updated",
    onSuccess: (res) => {
      onSaved(res.data);
      void reload();
    },
  });
  const save = handleSubmit((v) => patch.run(v));
  return (
    <form onSubmit={save} className="space-y-3" noValidate>
      <fieldset disabled={!owner} className="space-y-3">
        <TextInput label="Business name" {...register("name")} error={formState.errors.name?.message} />
        <TextInput label="Contact email" type="email" {...register("email")} error={formState.errors.email?.message} />
      </fieldset>
      <p className="text-xs text-slate-500">
        Plan: <span className="font-medium">{tenant.plan}</span> · {tenant.subscription_status}
      </p>
      {owner && (
        <Button type="submit" loading={formState.isSubmitting} data-testid="business-save">
          Save business
        </Button>
      )}
    </form>
  );
}
