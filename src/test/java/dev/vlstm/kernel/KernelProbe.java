package dev.vlstm.kernel;

/**
 * Entry point of the second JVM that {@link KernelsProviderTest} starts with other flags. It touches the vector
 * classes only in the {@code agreement} mode, so the {@code scalar-path} mode also shows that nothing loads them.
 */
final class KernelProbe {

    private KernelProbe() {}

    public static void main(String[] args) {
        LstmKernels kernels = Kernels.get();
        System.out.println("active=" + kernels.name());
        KernelAgreementTest agreement = new KernelAgreementTest();
        switch (args[0]) {
            case "active" -> { }
            case "scalar-path" -> {
                for (int size : new int[] {3, 17}) {
                    agreement.gateProjectionMatchesReference(kernels, size);
                    agreement.headProjectionWritesOnlyRealUnits(kernels, size);
                    agreement.lstmStepMatchesReference(kernels, size);
                }
            }
            case "agreement" -> {
                for (int size : KernelAgreementTest.SIZES) {
                    agreement.gateProjectionMatchesReference(kernels, size);
                    agreement.headProjectionWritesOnlyRealUnits(kernels, size);
                    agreement.lstmStepMatchesReference(kernels, size);
                    agreement.sequenceOfStepsStaysCloseToReference(kernels, size);
                    agreement.aNullHPrevIsAZeroStateThatReadsNeitherCNorGateF(kernels, size);
                    agreement.aStepOfManyRowsGivesEachRowItsOwnOneRowStepBitForBit(kernels, size);
                    agreement.skipForgetChangesNoOtherColumn(kernels, size);
                    agreement.aReducedStepRowEqualsTheStepOnItsWidenedWeights(kernels, size);
                    agreement.reducedStepsAndProductsOfSeveralRowsGiveEachRowItsOneRowResultBitForBit(kernels, size);
                    agreement.aReducedOneRowProjectionEqualsTheFp32ProjectionOfItsDecodedWeights(kernels, size);
                }
                agreement.allAbsAtMostChecksEveryValueOfEveryRowAndNothingElse(kernels);
                ActivationTest activations = new ActivationTest();
                activations.vectorSigmoidIsAccurateEverywhere();
                activations.vectorTanhIsAccurateEverywhere();
                activations.activationsSaturateWithoutNaNAndPropagateNaN();
                activations.lstmStepSaturatesAndPropagatesNaN(kernels);
            }
            default -> throw new IllegalArgumentException("unknown probe mode " + args[0]);
        }
        System.out.println("ok");
    }
}
