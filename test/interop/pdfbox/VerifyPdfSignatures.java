// An independent verifier for kyso's interop tests: Apache PDFBox 2.0 reads the PDF (signature dictionaries,
// ByteRange, signed content, /DSS) and BouncyCastle checks the cryptography (CMS signer info with its
// message-digest attribute, RFC 3161 time-stamp tokens). Nothing here shares code with kyso, so a file that passes
// both is not just agreeing with itself. Written for Debian 12's libpdfbox2-java 2.0.27 and BouncyCastle 1.72.
//
// Usage: java VerifyPdfSignatures [--trust root.pem] file.pdf...
// Prints one JSON object per file:
//   {"file", "signatures": [{field, subFilter, type, valid, error?, coversToEndOfRevision, coversWholeFile,
//     signer, signingTime?, chainTrusted?, signerStatusInDss, signatureTimestamp?}],
//    "dss": {present, certs, ocsps, crls, vri, ocspsValid, certSubjects}}
// Exit status: 0 when every file was parsed (the JSON says whether signatures are valid), 2 when a file could
// not be read or parsed as a PDF, 64 on bad arguments.
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.Security;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TimeZone;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.form.PDSignatureField;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerId;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Selector;
import org.bouncycastle.util.Store;

public final class VerifyPdfSignatures {
    private static X509Certificate trustAnchor;

    public static void main(String[] args) {
        Security.addProvider(new BouncyCastleProvider());
        List<String> files = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--trust")) {
                    try (InputStream in = new FileInputStream(args[++i])) {
                        trustAnchor = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                    }
                } else {
                    files.add(args[i]);
                }
            }
        } catch (Exception e) {
            System.err.println("bad arguments: " + e);
            System.exit(64);
        }
        if (files.isEmpty()) {
            System.err.println("usage: java VerifyPdfSignatures [--trust root.pem] file.pdf...");
            System.exit(64);
        }
        // UTF-8 whatever the locale: subject names are Vietnamese.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        int status = 0;
        for (String file : files) {
            try {
                out.println(verifyFile(new File(file)));
            } catch (Exception e) {
                System.err.println(file + ": cannot parse: " + e);
                status = 2;
            }
        }
        System.exit(status);
    }

    private static String verifyFile(File file) throws Exception {
        byte[] pdf = Files.readAllBytes(file.toPath());
        try (PDDocument doc = PDDocument.load(file)) {
            Dss dss = readDss(doc);
            List<String> sigs = new ArrayList<>();
            for (PDSignature sig : doc.getSignatureDictionaries()) {
                sigs.add(verifySignature(doc, sig, pdf, dss));
            }
            return "{\"file\":" + q(file.getPath()) + ",\"signatures\":[" + String.join(",", sigs) + "],\"dss\":" + dss.json() + "}";
        }
    }

    // ---- one signature dictionary ------------------------------------------------------------------------------

    private static String verifySignature(PDDocument doc, PDSignature sig, byte[] pdf, Dss dss) throws Exception {
        Json out = new Json();
        out.put("field", fieldName(doc, sig));
        String subFilter = sig.getSubFilter();
        out.put("subFilter", subFilter);
        out.put("type", sig.getCOSObject().getNameAsString(COSName.TYPE));
        int[] br = sig.getByteRange();
        out.raw("byteRange", Arrays.toString(br).replace(" ", ""));
        boolean rangeShape = br != null && br.length == 4 && br[0] == 0 && br[1] > 0 && br[2] > br[1]
                && (long) br[2] + br[3] <= pdf.length && pdf[br[1]] == '<' && pdf[br[2] - 1] == '>';
        // The signature covers its whole revision when its second range ends at that revision's %%EOF (a later
        // incremental update may follow); only the last revision's signature can also cover the whole file.
        out.bool("coversToEndOfRevision", rangeShape && endsWithEof(pdf, br[2] + br[3]));
        out.bool("coversWholeFile", rangeShape && (long) br[2] + br[3] == pdf.length);

        boolean valid = false;
        String error = null;
        try {
            if (!rangeShape) throw new IllegalStateException("ByteRange does not start at 0 or its gap is not the /Contents string");
            byte[] content = sig.getSignedContent(pdf);
            byte[] contents = sig.getContents(pdf);
            if ("ETSI.RFC3161".equals(subFilter)) {
                TsResult ts = verifyTimeStamp(contents, content, dss);
                out.put("signer", ts.signer);
                out.put("signingTime", iso(ts.genTime));
                out.bool("chainTrusted", ts.chainTrusted);
                out.put("signerStatusInDss", dss.statusOf(ts.cert));
                valid = true;
            } else {
                CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(content), contents);
                List<SignerInformation> signers = new ArrayList<>(cms.getSignerInfos().getSigners());
                if (signers.size() != 1) throw new IllegalStateException("expected one SignerInfo, found " + signers.size());
                SignerInformation si = signers.get(0);
                X509CertificateHolder cert = findCert(cms.getCertificates(), si.getSID(), dss);
                out.put("signer", cert.getSubject().toString());
                Date signingTime = signingTimeAttr(si);
                if (signingTime == null && sig.getSignDate() != null) signingTime = sig.getSignDate().getTime();
                if (signingTime != null) out.put("signingTime", iso(signingTime));
                // verify() checks the signature over the signed attributes and that their message-digest equals
                // the digest of the ByteRange content.
                boolean ok = si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert));
                if (!ok) throw new IllegalStateException("SignerInfo.verify returned false");
                out.bool("chainTrusted", chainTrusted(cert, cms.getCertificates(), dss, signingTime));
                out.put("signerStatusInDss", dss.statusOf(cert));
                AttributeTable unsigned = si.getUnsignedAttributes();
                Attribute tsAttr = unsigned == null ? null : unsigned.get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
                if (tsAttr != null) {
                    Json t = new Json();
                    try {
                        TsResult ts = verifyTimeStamp(tsAttr.getAttrValues().getObjectAt(0).toASN1Primitive().getEncoded(), si.getSignature(), dss);
                        t.bool("valid", true);
                        t.put("genTime", iso(ts.genTime));
                        t.put("tsa", ts.signer);
                        t.bool("chainTrusted", ts.chainTrusted);
                        t.put("tsaStatusInDss", dss.statusOf(ts.cert));
                    } catch (Exception e) {
                        t.bool("valid", false);
                        t.put("error", e.toString());
                    }
                    out.raw("signatureTimestamp", t.toString());
                }
                valid = true;
            }
        } catch (Exception e) {
            error = e.toString();
        }
        out.bool("valid", valid);
        if (error != null) out.put("error", error);
        return out.toString();
    }

    private static String fieldName(PDDocument doc, PDSignature sig) throws Exception {
        for (PDSignatureField f : doc.getSignatureFields()) {
            if (f.getSignature() != null && f.getSignature().getCOSObject() == sig.getCOSObject()) return f.getFullyQualifiedName();
        }
        return null;
    }

    private static boolean endsWithEof(byte[] pdf, long end) {
        int i = (int) end;
        while (i > 0 && (pdf[i - 1] == '\n' || pdf[i - 1] == '\r' || pdf[i - 1] == ' ')) i--;
        return i >= 5 && new String(pdf, i - 5, 5, StandardCharsets.ISO_8859_1).equals("%%EOF");
    }

    private static Date signingTimeAttr(SignerInformation si) {
        AttributeTable signed = si.getSignedAttributes();
        Attribute a = signed == null ? null : signed.get(CMSAttributes.signingTime);
        if (a == null) return null;
        ASN1Encodable v = a.getAttrValues().getObjectAt(0);
        try {
            if (v instanceof ASN1UTCTime) return ((ASN1UTCTime) v).getAdjustedDate();
            if (v instanceof ASN1GeneralizedTime) return ((ASN1GeneralizedTime) v).getDate();
        } catch (Exception e) {
            return null;
        }
        return null;
    }

    // ---- RFC 3161 time-stamp tokens ----------------------------------------------------------------------------

    private static final class TsResult {
        String signer;
        Date genTime;
        boolean chainTrusted;
        X509CertificateHolder cert;
    }

    /** Checks the token's message imprint against `stamped` and the TSA's signature (TimeStampToken.validate). */
    private static TsResult verifyTimeStamp(byte[] token, byte[] stamped, Dss dss) throws Exception {
        TimeStampToken tst = new TimeStampToken(new CMSSignedData(token));
        AlgorithmIdentifier alg = tst.getTimeStampInfo().getHashAlgorithm();
        DigestCalculator dc = new JcaDigestCalculatorProviderBuilder().setProvider("BC").build().get(alg);
        try (OutputStream os = dc.getOutputStream()) {
            os.write(stamped);
        }
        if (!Arrays.equals(dc.getDigest(), tst.getTimeStampInfo().getMessageImprintDigest())) {
            throw new IllegalStateException("time-stamp message imprint does not match the stamped data");
        }
        @SuppressWarnings("unchecked")
        Store<X509CertificateHolder> certs = tst.getCertificates();
        X509CertificateHolder tsa = findCert(certs, tst.getSID(), dss);
        // validate(): signature, ESS signing-certificate hash, TSA certificate valid at genTime with timeStamping EKU.
        tst.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(tsa));
        TsResult r = new TsResult();
        r.signer = tsa.getSubject().toString();
        r.genTime = tst.getTimeStampInfo().getGenTime();
        r.chainTrusted = chainTrusted(tsa, certs, dss, r.genTime);
        r.cert = tsa;
        return r;
    }

    // ---- certificates ------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static X509CertificateHolder findCert(Store<X509CertificateHolder> store, SignerId sid, Dss dss) {
        Collection<X509CertificateHolder> m = store.getMatches((Selector<X509CertificateHolder>) (Selector<?>) sid);
        if (!m.isEmpty()) return m.iterator().next();
        for (X509CertificateHolder c : dss.certs) if (sid.match(c)) return c;
        throw new IllegalStateException("signer certificate not found in the CMS or the DSS: " + sid.getIssuer() + " " + sid.getSerialNumber());
    }

    /** PKIX path from the certificate to --trust over the CMS and DSS certificates, at `at`, revocation off. */
    private static Boolean chainTrusted(X509CertificateHolder leaf, Store<X509CertificateHolder> cmsCerts, Dss dss, Date at) {
        if (trustAnchor == null) return null;
        try {
            JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
            List<X509Certificate> pool = new ArrayList<>();
            for (X509CertificateHolder h : cmsCerts.getMatches(null)) pool.add(conv.getCertificate(h));
            for (X509CertificateHolder h : dss.certs) pool.add(conv.getCertificate(h));
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(conv.getCertificate(leaf));
            PKIXBuilderParameters p = new PKIXBuilderParameters(Set.of(new TrustAnchor(trustAnchor, null)), target);
            p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool)));
            p.setRevocationEnabled(false);
            if (at != null) p.setDate(at);
            CertPathBuilder.getInstance("PKIX").build(p);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    // ---- /DSS --------------------------------------------------------------------------------------------------

    private static final class Dss {
        boolean present;
        int certCount, ocspCount, crlCount, vriCount, ocspsValid;
        final List<X509CertificateHolder> certs = new ArrayList<>();
        final List<BasicOCSPResp> ocsps = new ArrayList<>();
        final List<X509CRLHolder> crls = new ArrayList<>();

        /** What the DSS proves about the certificate: a GOOD OCSP answer, a CRL from its issuer without it, or none. */
        String statusOf(X509CertificateHolder cert) {
            BigInteger serial = cert.getSerialNumber();
            for (BasicOCSPResp r : ocsps) {
                for (SingleResp s : r.getResponses()) {
                    if (s.getCertID().getSerialNumber().equals(serial)) {
                        return s.getCertStatus() == CertificateStatus.GOOD ? "good-ocsp" : "revoked-ocsp";
                    }
                }
            }
            for (X509CRLHolder crl : crls) {
                if (crl.getIssuer().equals(cert.getIssuer())) {
                    return crl.getRevokedCertificate(serial) == null ? "not-on-crl" : "revoked-crl";
                }
            }
            return "none";
        }

        String json() {
            Json j = new Json();
            j.bool("present", present);
            j.raw("certs", String.valueOf(certCount));
            j.raw("ocsps", String.valueOf(ocspCount));
            j.raw("crls", String.valueOf(crlCount));
            j.raw("vri", String.valueOf(vriCount));
            j.raw("ocspsValid", String.valueOf(ocspsValid));
            List<String> subjects = new ArrayList<>();
            for (X509CertificateHolder c : certs) subjects.add(q(c.getSubject().toString()));
            j.raw("certSubjects", "[" + String.join(",", subjects) + "]");
            return j.toString();
        }
    }

    private static Dss readDss(PDDocument doc) throws Exception {
        Dss dss = new Dss();
        COSBase base = doc.getDocumentCatalog().getCOSObject().getDictionaryObject(COSName.getPDFName("DSS"));
        if (!(base instanceof COSDictionary)) return dss;
        COSDictionary d = (COSDictionary) base;
        dss.present = true;
        for (byte[] der : streams(d, "Certs")) {
            dss.certs.add(new X509CertificateHolder(der));
        }
        dss.certCount = dss.certs.size();
        List<byte[]> ocspDers = streams(d, "OCSPs");
        dss.ocspCount = ocspDers.size();
        for (byte[] der : ocspDers) {
            OCSPResp resp = new OCSPResp(der);
            if (resp.getStatus() != OCSPResp.SUCCESSFUL) continue;
            BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
            dss.ocsps.add(basic);
            if (ocspSignatureValid(basic, dss.certs)) dss.ocspsValid++;
        }
        for (byte[] der : streams(d, "CRLs")) dss.crls.add(new X509CRLHolder(der));
        dss.crlCount = dss.crls.size();
        COSBase vri = d.getDictionaryObject(COSName.getPDFName("VRI"));
        dss.vriCount = vri instanceof COSDictionary ? ((COSDictionary) vri).keySet().size() : 0;
        return dss;
    }

    /** The OCSP response is signed by a certificate it carries or one in the DSS (e.g. the CA itself). */
    private static boolean ocspSignatureValid(BasicOCSPResp r, List<X509CertificateHolder> dssCerts) {
        List<X509CertificateHolder> candidates = new ArrayList<>(Arrays.asList(r.getCerts()));
        candidates.addAll(dssCerts);
        for (X509CertificateHolder c : candidates) {
            try {
                if (r.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider("BC").build(c))) return true;
            } catch (Exception ignored) {
                // wrong key type for this candidate: try the next
            }
        }
        return false;
    }

    private static List<byte[]> streams(COSDictionary d, String key) throws Exception {
        List<byte[]> out = new ArrayList<>();
        COSBase arr = d.getDictionaryObject(COSName.getPDFName(key));
        if (!(arr instanceof COSArray)) return out;
        COSArray a = (COSArray) arr;
        for (int i = 0; i < a.size(); i++) {
            COSBase item = a.getObject(i);
            if (item instanceof COSStream) {
                try (InputStream in = ((COSStream) item).createInputStream()) {
                    out.add(in.readAllBytes());
                }
            }
        }
        return out;
    }

    // ---- output ------------------------------------------------------------------------------------------------

    private static String iso(Date d) {
        SimpleDateFormat f = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
        f.setTimeZone(TimeZone.getTimeZone("UTC"));
        return f.format(d);
    }

    private static String q(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /** A flat JSON object builder, enough for this report. */
    private static final class Json {
        private final List<String> parts = new ArrayList<>();
        private final Set<String> keys = new HashSet<>();

        void put(String k, String v) { raw(k, q(v)); }
        void bool(String k, Boolean v) { raw(k, String.valueOf(v)); }
        void raw(String k, String json) {
            if (keys.add(k)) parts.add(q(k) + ":" + json);
        }
        @Override public String toString() { return "{" + String.join(",", parts) + "}"; }
    }
}
