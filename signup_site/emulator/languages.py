"""Campaign's language (locale) enumeration, as Adobe documents it: the
values a profile's preferredLanguage (ACS; `@language` of nms:recipient on
v8, the same Campaign data model) takes, "none" for no preference.

Source: Adobe Campaign Standard, "Generating a CSV file for Multilingual Push
Notification", section "Locale and Language Names" (AdobeDocs/campaign-standard.en,
help/channels/using/generating-csv-multilingual-push.md), the list of
language variants Campaign supports. The page spells Sanskrit "a_in", plainly
a typo for "sa_in", which is what is listed here.
"""

_DOCUMENTED = """
    none
    af_za sq_al ar_dz ar_bh ar_iq ar_il ar_jo ar_kw ar_lb ar_ma ar_om ar_qa ar_sa ar_sy ar_tn ar_ae ar_ye
    hy_am az_az be_by bs_ba bg_bg ca_es zh_cn zh_sg zh_hk zh_tw hr_hr cs_cz da_dk nl_be nl_nl
    en_au en_bz en_ca en_in en_ie en_jm en_nz en_ph en_za en_tt en_gb en_us en_zw et_ee fi_fi
    fr_be fr_ca fr_fr fr_lu fr_ch de_at de_de de_lu de_ch el_cy el_gr gu_in he_il hi_in hu_hu
    is_is id_id it_it it_ch ja_jp kn_in kk_kz ko_kr lv_lv lt_lt mk_mk ms_my mr_in no_no pl_pl
    pt_br pt_pt pa_in ro_md ro_ro ru_kz ru_ru ru_ua sa_in sr_ba sr_rs sk_sk sl_si
    es_ar es_bo es_cl es_co es_cr es_do es_ec es_sv es_gt es_hn es_mx es_ni es_pa es_py es_pe
    es_pr es_es es_uy es_ve sw_ke sv_fi sv_se ta_in tt_ru te_in th_th tr_cy tr_tr uk_ua ur_in
    ur_pk vi_vn
"""
LOCALES = frozenset(_DOCUMENTED.split())
